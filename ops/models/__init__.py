from .audit import (
    AuditEvent,
    PaymentEvent,
    PriceChangeEvent,
    RefundEvent,
    SkuPriceEvent,
    StockEvent,
    UserEvent,
)
from .backups import Backup, RestoreDrill
from .incidents import Incident

__all__ = [
    "AuditEvent",
    "Backup",
    "Incident",
    "PaymentEvent",
    "PriceChangeEvent",
    "RefundEvent",
    "RestoreDrill",
    "SkuPriceEvent",
    "StockEvent",
    "UserEvent",
]
