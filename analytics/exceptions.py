from mall.errors import DomainError


class AnalyticsError(DomainError):
    """Base of the analytics app's domain errors."""


class TargetRefused(AnalyticsError):
    """A target that cannot be set as asked; nothing was written."""


class ExportRefused(AnalyticsError):
    """An export that cannot be made as asked; nothing was queued."""
