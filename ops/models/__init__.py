from .audit import (
    AuditEvent,
    PaymentEvent,
    PriceChangeEvent,
    RefundEvent,
    SkuPriceEvent,
    StockEvent,
    UserEvent,
)

__all__ = [
    "AuditEvent",
    "PaymentEvent",
    "PriceChangeEvent",
    "RefundEvent",
    "SkuPriceEvent",
    "StockEvent",
    "UserEvent",
]
