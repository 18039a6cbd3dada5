from .events import Event, OrderAttribution
from .facts import DailyChannelFact, DailyKpi, DailyProductFact, QualityCheck
from .recommendations import DailySlotFact, ProductPair
from .targets import Target, TargetMonth

__all__ = [
    "DailyChannelFact",
    "DailyKpi",
    "DailyProductFact",
    "DailySlotFact",
    "Event",
    "OrderAttribution",
    "ProductPair",
    "QualityCheck",
    "Target",
    "TargetMonth",
]
