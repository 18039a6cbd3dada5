"""The back office's reports: stock (value, turnover, slow movers, replenishment), after-sales,
carrier scorecard, feedback, the KPI dashboard, the targets and the RFM segments. Importing
the modules registers their pages."""

from . import (  # noqa: F401
    aftersales,
    carriers,
    channels,
    cohorts,
    dashboard,
    exports,
    feedback,
    reviews,
    segments,
    stock,
    targets,
)
