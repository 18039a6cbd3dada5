from .aftersales import (
    AFTER_SALES_MACHINE,
    OPEN_AFTER_SALES,
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesStatusChange,
)
from .cart import Cart, CartLine
from .fulfilment import (
    SHIPMENT_MACHINE,
    Shipment,
    ShipmentLine,
    ShipmentStatusChange,
    TrackingEvent,
)
from .logistics import LOGISTICS_CASE_MACHINE, LogisticsCase, LogisticsCaseChange
from .order import (
    ORDER_MACHINE,
    SOLD,
    Order,
    OrderDiscount,
    OrderLine,
    OrderLineDiscount,
    OrderStatusChange,
)
from .payment import Payment, PaymentNotification, Refund
from .reconciliation import BillDifference, BillReconciliation
from .risk_review import BlockedContact
from .sandbox import SandboxRefund, SandboxTrade

__all__ = [
    "AFTER_SALES_MACHINE",
    "LOGISTICS_CASE_MACHINE",
    "OPEN_AFTER_SALES",
    "ORDER_MACHINE",
    "SHIPMENT_MACHINE",
    "SOLD",
    "AfterSalesCase",
    "AfterSalesLine",
    "AfterSalesPhoto",
    "AfterSalesStatusChange",
    "BillDifference",
    "BillReconciliation",
    "BlockedContact",
    "Cart",
    "CartLine",
    "LogisticsCase",
    "LogisticsCaseChange",
    "Order",
    "OrderDiscount",
    "OrderLine",
    "OrderLineDiscount",
    "OrderStatusChange",
    "Payment",
    "PaymentNotification",
    "Refund",
    "SandboxRefund",
    "SandboxTrade",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatusChange",
    "TrackingEvent",
]
