from .cart import Cart, CartLine
from .order import ORDER_MACHINE, Order, OrderLine, OrderStatusChange

__all__ = ["ORDER_MACHINE", "Cart", "CartLine", "Order", "OrderLine", "OrderStatusChange"]
