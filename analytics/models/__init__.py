from .events import Event, OrderAttribution
from .facts import DailyChannelFact, DailyKpi, DailyProductFact, QualityCheck
from .targets import Target, TargetMonth

__all__ = [
    "DailyChannelFact",
    "DailyKpi",
    "DailyProductFact",
    "Event",
    "OrderAttribution",
    "QualityCheck",
    "Target",
    "TargetMonth",
]
