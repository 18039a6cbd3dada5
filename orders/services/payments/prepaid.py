"""Orders with nothing left to pay through a provider: discounts and gift cards covered
the whole total. A provider cannot take a payment of zero, so such an order is paid the
moment it is placed."""

from django.utils.translation import gettext_noop

from mall.labels import Label
from mall.statemachine import transition

from ...models import ORDER_MACHINE, Order, OrderStatusChange
from .hooks import run_paid_hooks
from .notices import _keep_stock


def settle_without_provider(*, order: Order, actor) -> Order:
    """Record ``order`` as paid without a provider: its amount due is zero (what gift
    cards paid, ``stored_value_paid``, was taken when it was placed). Its stock is then
    held until shipment, as for any paid order. Runs in the caller's transaction (the
    placement's). Raises ``ValueError`` when something is left to pay and
    ``IllegalTransition`` unless it awaits payment."""
    if order.amount_due != 0:
        raise ValueError(f"order {order.number} still has {order.amount_due} to pay")
    _keep_stock(order)
    if order.stored_value_paid:
        reason = Label(
            gettext_noop("Paid %(amount)s by gift card; nothing left to pay."),
            amount=order.stored_value_paid,
        )
    else:
        reason = Label(gettext_noop("Nothing to pay: the discounts cover the whole order."))
    transition(order, ORDER_MACHINE, "pay", history=OrderStatusChange, actor=actor, reason=reason)
    run_paid_hooks(order)
    return order
