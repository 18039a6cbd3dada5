from .cart import Cart, CartLine
from .flashsale import FlashSale, FlashSaleClaim
from .order import ORDER_MACHINE, Order, OrderLine, OrderStatusChange
from .payment import Payment, PaymentNotification, Refund
from .review import BlockedContact
from .sandbox import SandboxRefund, SandboxTrade

__all__ = [
    "ORDER_MACHINE",
    "BlockedContact",
    "Cart",
    "CartLine",
    "FlashSale",
    "FlashSaleClaim",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Payment",
    "PaymentNotification",
    "Refund",
    "SandboxRefund",
    "SandboxTrade",
]
