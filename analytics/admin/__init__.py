"""The back office's reports: stock (value, turnover, slow movers, replenishment), after-sales,
carrier scorecard, feedback, the KPI dashboard, the targets and the RFM segments. Importing
the modules registers their pages."""

from . import aftersales, carriers, channels, dashboard, feedback, segments, stock, targets  # noqa: F401
