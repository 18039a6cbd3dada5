from .events import Event, OrderAttribution
from .exports import ReportExport
from .facts import DailyChannelFact, DailyKpi, DailyProductFact, QualityCheck
from .recommendations import DailySlotFact, ProductPair
from .reviews import ReviewMail, ReviewPreference
from .segments import CustomerScore, Segment
from .targets import Target, TargetMonth

__all__ = [
    "CustomerScore",
    "DailyChannelFact",
    "DailyKpi",
    "DailyProductFact",
    "DailySlotFact",
    "Event",
    "OrderAttribution",
    "ProductPair",
    "QualityCheck",
    "ReportExport",
    "ReviewMail",
    "ReviewPreference",
    "Segment",
    "Target",
    "TargetMonth",
]
