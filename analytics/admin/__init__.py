"""The back office's reports: stock (value, turnover, slow movers, replenishment), after-sales,
carrier scorecard, feedback, the KPI dashboard and the targets. Importing the modules
registers their pages."""

from . import aftersales, carriers, dashboard, feedback, stock, targets  # noqa: F401
