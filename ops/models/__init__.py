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

__all__ = [
    "AuditEvent",
    "Backup",
    "PaymentEvent",
    "PriceChangeEvent",
    "RefundEvent",
    "RestoreDrill",
    "SkuPriceEvent",
    "StockEvent",
    "UserEvent",
]
