"""The back office's reports: stock (value, turnover, slow movers, replenishment), after-sales,
carrier scorecard, feedback. Importing the modules registers their pages."""

from . import aftersales, carriers, feedback, stock  # noqa: F401
