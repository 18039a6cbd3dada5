from .events import Event, OrderAttribution
from .facts import DailyChannelFact, DailyKpi, DailyProductFact, QualityCheck

__all__ = [
    "DailyChannelFact",
    "DailyKpi",
    "DailyProductFact",
    "Event",
    "OrderAttribution",
    "QualityCheck",
]
