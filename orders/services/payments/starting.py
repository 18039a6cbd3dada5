"""Starting a payment: the order's open payment at a provider switched on, the provider's
page or QR code to send the shopper to."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.numbers import new_number

from ...exceptions import PaymentRefused
from ...models import Order, Payment
from ...providers.base import Client, ProviderError
from ...providers.registry import UnknownProvider, get_provider
from .closing import _close_open

logger = logging.getLogger("orders.payments")


# In ``start_payment``'s ``return_url``: replaced by the new payment's number.
OUT_TRADE_NO = "{out_trade_no}"


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    redirect_url: str  # the provider's page; absolute when ``return_url`` was


def _subject(order: Order) -> str:
    return _("%(shop)s order %(number)s") % {"shop": settings.MALL_NAME, "number": order.number}


# --- Starting a payment ----------------------------------------------------------------------


def start_payment(
    *,
    order: Order,
    actor,
    notify_url: str,
    return_url: str,
    provider: str = "sandbox",
    client: Client | None = None,
) -> PaymentStart:
    """Start paying ``order`` with ``provider``: a new ``Payment`` (a new
    ``out_trade_no``) for the order's amount due (its total less what gift cards paid),
    a trade opened at the provider, and the URL
    to send the shopper to. "Pay again" after a failure or an abandoned page is another
    call; earlier payments still open are closed at the provider first, so that one
    order is not paid twice from two tabs (if it is, the second payment is refunded).

    ``notify_url`` is the absolute URL of ``payments:notify`` for ``provider``;
    ``return_url`` the absolute URL of ``payments:return``, in which the text
    ``{out_trade_no}`` (``OUT_TRADE_NO``) is replaced by the new payment's number;
    ``client`` says whether the shopper is on a phone (the providers' mobile pages) and
    their address (WeChat Pay's H5 wants it). A view
    builds both with ``orders.views.payments.payment_urls(request, provider)``::

        start = payments.start_payment(order=order, actor=request.user, **payment_urls(request))

    Raises ``PaymentRefused`` (a message for the shopper) when the provider is not
    available, ``actor`` is not the order's shopper, the order is paid or cancelled,
    its time to pay has run out, or the provider does not answer. Writes nothing then.
    """
    try:
        adapter = get_provider(provider)
    except (UnknownProvider, ProviderError) as error:
        logger.error(
            "payment method not available", extra={"provider": provider, "error": str(error)}
        )
        raise PaymentRefused(_("This payment method is not available.")) from None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if actor is None or actor.pk != order.user_id:
            raise PaymentRefused(_("Only the shopper who placed this order can pay for it."))
        if order.status == Order.Status.CANCELLED:
            raise PaymentRefused(_("This order was cancelled and can no longer be paid."))
        if order.status != Order.Status.PENDING_PAYMENT:
            raise PaymentRefused(_("This order is paid already."))
        if order.pay_by <= timezone.now():
            raise PaymentRefused(_("The time to pay for this order has run out."))
        if order.amount_due <= 0:
            raise PaymentRefused(_("This order has nothing to pay."))
        _close_open(order)
        payment = Payment.objects.create(
            order=order,
            provider=provider,
            out_trade_no=new_number("P", with_time=True),
            amount=order.amount_due,
        )
        try:
            redirect_url = adapter.create_trade(
                out_trade_no=payment.out_trade_no,
                amount=payment.amount,
                subject=_subject(order),
                notify_url=notify_url,
                return_url=return_url.replace(OUT_TRADE_NO, payment.out_trade_no),
                expires_at=order.pay_by,
                client=client,
            )
        except ProviderError as error:
            logger.warning(
                "trade not created at the provider",
                extra={"provider": provider, "order": order.number, "error": str(error)},
            )
            raise PaymentRefused(
                _("The payment service is not answering. Please try again in a moment.")
            ) from error
    return PaymentStart(payment=payment, redirect_url=redirect_url)
