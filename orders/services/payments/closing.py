"""Closing the open payments of an order that was cancelled or paid another way, at the
provider too, so no money can arrive for them later (and money that still does is
refunded)."""

import logging

from ...models import Order, Payment
from ...providers.base import ProviderError
from ...providers.registry import UnknownProvider, get_provider

logger = logging.getLogger("orders.payments")


# --- Closing ---------------------------------------------------------------------------------


def _close_open(order: Order, *, keep: Payment | None = None, only: Payment | None = None) -> int:
    payments = order.payments.filter(status=Payment.Status.CREATED).order_by("pk")
    if keep is not None:
        payments = payments.exclude(pk=keep.pk)
    if only is not None:
        payments = payments.filter(pk=only.pk)
    closed = 0
    for payment in payments.select_for_update():
        try:
            closed_there = get_provider(payment.provider).close_trade(
                out_trade_no=payment.out_trade_no
            )
        except (UnknownProvider, ProviderError) as error:
            # Left open: the safety-net job tries again; money that still arrives is
            # refunded as late or double.
            logger.warning(
                "payment not closed at the provider",
                extra={"out_trade_no": payment.out_trade_no, "error": repr(error)},
            )
            continue
        if not closed_there:
            continue  # paid meanwhile: its notification (or a query) brings the money in
        closed += Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
            status=Payment.Status.CLOSED
        )
    return closed


def close_open_payments(*, order, reason: str = "") -> int:
    """Close every payment of ``order`` still awaiting the shopper (the order was
    cancelled), at the provider too, so the hosted page no longer takes money. A payment
    the provider reports as paid already stays open for its notification, and is
    refunded by the notification handler; so is any payment that still arrives later.
    Returns how many were closed. Runs inside the caller's transaction, which should
    hold the order's row lock (``cancel_order`` does)."""
    return _close_open(order)
