"""Money arrives, or does not: the provider's signed notifications, the query that
confirms a payment whose notification is late or lost, and the job that asks for every
open payment."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from catalog.models import Reservation
from catalog.services import inventory
from mall.labels import Label
from mall.statemachine import transition
from mall.tracking import record_event

from ...models import ORDER_MACHINE, Order, OrderStatusChange, Payment, PaymentNotification, Refund
from ...providers.base import (
    CLOSED,
    FAILED,
    REFUND_FAILED,
    REFUND_SUCCEEDED,
    SUCCEEDED,
    BadSignature,
    ProviderError,
    RefundNotice,
    ReplayedNotice,
    TradeNotice,
    WrongMerchant,
)
from ...providers.registry import UnknownProvider, get_provider
from .closing import _close_open
from .hooks import run_paid_hooks
from .refunds import refund

logger = logging.getLogger("orders.payments")

Outcome = PaymentNotification.Outcome
# Notices refused: the provider is told so (it may send them again).
REJECTED = {
    Outcome.BAD_SIGNATURE,
    Outcome.WRONG_AMOUNT,
    Outcome.UNKNOWN,
    Outcome.WRONG_MERCHANT,
    Outcome.REPLAYED,
}
# Providers stop notifying after about a day (Alipay: 25 hours); the safety-net job asks
# about open payments no older than this.
CONFIRM_WINDOW = datetime.timedelta(days=3)


# --- Money arrives, or does not --------------------------------------------------------------


def _stock_held(order: Order) -> bool:
    return (
        not Reservation.objects.filter(order_line_part__order_line__order=order)
        .exclude(status=Reservation.Status.OPEN)
        .exists()
    )


def _keep_stock(order: Order) -> None:
    # A paid order's units stay held until shipment: the unpaid-order expiry no longer
    # applies to them (catalog's release_expired would otherwise give them back).
    inventory.hold_until_shipped(
        reservations=Reservation.objects.filter(order_line_part__order_line__order=order).only("pk")
    )


def _money_arrived(payment: Payment, notice: TradeNotice) -> tuple[str, str]:
    """The provider says the money of ``payment`` arrived: keep it (the order is paid) or
    refund it (the order was cancelled, or is paid by another payment). Once per
    payment; returns the outcome and a note."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.paid_at is not None:
            return Outcome.DUPLICATE, ""
        paid_elsewhere = (
            order.payments.filter(status=Payment.Status.SUCCEEDED).exclude(pk=payment.pk).exists()
        )
        kept = (
            order.status == Order.Status.PENDING_PAYMENT
            and not paid_elsewhere
            and _stock_held(order)
        )
        Payment.objects.filter(pk=payment.pk, paid_at__isnull=True).update(
            # "succeeded" is the one payment that paid the order (a partial unique index
            # says so); money that cannot be kept is recorded as arrived, closed, refunded.
            status=Payment.Status.SUCCEEDED if kept else Payment.Status.CLOSED,
            paid_at=notice.paid_at or timezone.now(),
            provider_trade_no=notice.provider_trade_no[:64],
        )
        payment.refresh_from_db()
        if kept:
            _keep_stock(order)
            transition(
                order,
                ORDER_MACHINE,
                "pay",
                history=OrderStatusChange,
                reason=Label(
                    gettext_noop("Paid %(amount)s, payment %(number)s"),
                    amount=payment.amount,
                    number=payment.out_trade_no,
                ),
            )
            _close_open(order, keep=payment)
            run_paid_hooks(order)
            record_event("order_paid", order=order.pk, user=order.user_id, amount=payment.amount)
            return Outcome.ACCEPTED, ""
        if order.status == Order.Status.CANCELLED:
            outcome, key = Outcome.LATE, f"late-{payment.out_trade_no}"
            note = "the order was cancelled when the money arrived"
            reason = _("The order was cancelled before the payment arrived.")
        elif order.status == Order.Status.PENDING_PAYMENT:
            # Past its deadline, the order's stock was released before it was cancelled.
            outcome, key = Outcome.LATE, f"late-{payment.out_trade_no}"
            note = "the order's stock was no longer held when the money arrived"
            reason = _("The time to pay for the order had run out.")
        else:
            outcome, key = Outcome.DOUBLE, f"double-{payment.out_trade_no}"
            note = "the order was paid by another payment"
            reason = _("The order was paid already: this second payment is refunded.")
        logger.warning(
            "payment refunded on arrival: %s",
            note,
            extra={"order": order.number, "out_trade_no": payment.out_trade_no},
        )
        refund(
            payment=payment,
            amount=payment.amount - payment.refunded_amount,
            reason=reason,
            idempotency_key=key,
            actor=None,
        )
        return outcome, note


def _not_paid(payment: Payment, status: str) -> tuple[str, str]:
    """The provider says the trade failed or closed without payment."""
    target = Payment.Status.FAILED if status == FAILED else Payment.Status.CLOSED
    changed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
        status=target
    )
    if changed:
        return Outcome.FAILED, "" if status == FAILED else "closed by the provider"
    payment.refresh_from_db(fields=["status"])
    return Outcome.DUPLICATE, f"the payment is {payment.status} already"


# What is kept of a notification nobody signed: enough to trace it (its keys and the
# start of each value), never a stranger's megabytes.
UNVERIFIED_BODY_MAX_CHARS = 2048
UNVERIFIED_VALUE_MAX_CHARS = 256


def truncated_body(body: dict) -> dict:
    """``body`` cut to about ``UNVERIFIED_BODY_MAX_CHARS``: each value to
    ``UNVERIFIED_VALUE_MAX_CHARS``, keys in order until the budget is spent, and
    ``"_truncated": True`` when anything was left out."""
    kept, spent, cut = {}, 0, False
    for key, value in body.items():
        key, short = key[:64], value[:UNVERIFIED_VALUE_MAX_CHARS]
        cut = cut or short != value or len(key) < len(str(key))
        if spent + len(key) + len(short) > UNVERIFIED_BODY_MAX_CHARS:
            cut = True
            break
        kept[key] = short
        spent += len(key) + len(short)
    if cut:
        kept["_truncated"] = True
    return kept


def _record(
    provider, body, outcome, *, payment=None, message="", notice_id="", refund=None
) -> PaymentNotification:
    if outcome == Outcome.BAD_SIGNATURE:
        body = truncated_body(body)
    return PaymentNotification.objects.create(
        payment=payment,
        provider=provider,
        body=body,
        outcome=outcome,
        message=message[:200],
        notice_id=notice_id[:64],
        refund=refund,
    )


def _refund_notice(provider: str, body: dict, notice: RefundNotice) -> PaymentNotification:
    """The provider reports a refund's fate: a pending refund is settled (succeeded, or
    failed for a person to look at) once; anything else changes nothing."""
    refund = (
        Refund.objects.select_related("payment")
        .filter(payment__provider=provider, refund_no=notice.refund_no)
        .first()
    )
    if refund is None or refund.payment.out_trade_no != notice.out_trade_no:
        # Alipay notifies refunds by trade: one asked in its own portal is not ours.
        payment = Payment.objects.filter(
            provider=provider, out_trade_no=notice.out_trade_no
        ).first()
        outcome = Outcome.DUPLICATE if payment else Outcome.UNKNOWN
        note = f"refund {notice.refund_no or '?'} is not one of the shop's"
        return _record(
            provider, body, outcome, payment=payment, message=note, notice_id=notice.notice_id
        )
    if notice.amount is not None and notice.amount != refund.amount:
        message = f"notified {notice.amount} for refund {refund.refund_no} of {refund.amount}"
        logger.error("refund notification rejected: wrong amount", extra={"note": message})
        return _record(
            provider,
            body,
            Outcome.WRONG_AMOUNT,
            payment=refund.payment,
            message=message,
            notice_id=notice.notice_id,
            refund=refund,
        )
    rows = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING)
    changed = 0
    if notice.status == REFUND_SUCCEEDED:
        changed = rows.update(
            status=Refund.Status.SUCCEEDED,
            provider_refund_no=notice.provider_refund_no[:64],
            completed_at=timezone.now(),
            last_error="",
        )
    elif notice.status == REFUND_FAILED:
        changed = rows.update(
            status=Refund.Status.FAILED, last_error="the provider closed the refund"
        )
        if changed:
            logger.error("refund failed at the provider", extra={"refund_no": refund.refund_no})
    outcome = Outcome.ACCEPTED if changed else Outcome.DUPLICATE
    return _record(
        provider,
        body,
        outcome,
        payment=refund.payment,
        notice_id=notice.notice_id,
        refund=refund,
        message=f"refund {refund.refund_no} {notice.status}",
    )


def handle_notification(*, provider: str, params: dict) -> PaymentNotification:
    """Handle an asynchronous notification of ``provider`` (its POSTed parameters) and
    return the ``PaymentNotification`` recording it with its outcome. Every notification
    is recorded, whatever happens:

    - ``bad_signature``, ``unknown`` (no such payment of this provider),
      ``wrong_amount``, ``wrong_merchant`` (another app id / merchant id / seller) and
      ``replayed`` (older than the provider's freshness window): rejected and logged;
      nothing else changes;
    - a notice whose provider id (``notice_id``) was handled before: ``duplicate``;
    - a refund notice (WeChat Pay's REFUND.*, Alipay's refund changes): its pending
      refund is settled once (``accepted``), else ``duplicate``;
    - ``accepted``: the payment succeeded and the order is paid (timeline entry, stock
      kept until shipment, the order's other open payments closed);
    - ``late``: the order was cancelled (or its stock released) before the money
      arrived: the payment is refunded in full;
    - ``double``: the order was paid by another payment: this one is refunded in full;
    - ``failed``: the shopper's payment failed (or the provider closed the trade);
    - ``duplicate``: the payment's fate was known already; nothing changes.

    Raises ``UnknownProvider`` for a provider not switched on (the view answers 404).
    """
    adapter = get_provider(provider)
    body = {str(key): str(value) for key, value in params.items()}
    try:
        notice = adapter.parse_notification(body)
    except (BadSignature, WrongMerchant, ReplayedNotice) as error:
        outcome, why = {
            BadSignature: (Outcome.BAD_SIGNATURE, "bad signature"),
            WrongMerchant: (Outcome.WRONG_MERCHANT, "another merchant's notice"),
            ReplayedNotice: (Outcome.REPLAYED, "replayed (too old)"),
        }[type(error)]
        logger.warning(
            "payment notification rejected: %s",
            why,
            extra={"provider": provider, "out_trade_no": body.get("out_trade_no", "")},
        )
        return _record(provider, body, outcome, message=str(error))
    if (
        notice.notice_id
        and PaymentNotification.objects.filter(provider=provider, notice_id=notice.notice_id)
        .exclude(outcome__in=REJECTED)
        .exists()
    ):
        # The same notice again (our answer was lost, or someone replays it within its
        # freshness window): it was handled, nothing changes.
        payment = Payment.objects.filter(
            provider=provider, out_trade_no=notice.out_trade_no
        ).first()
        return _record(
            provider,
            body,
            Outcome.DUPLICATE,
            payment=payment,
            message="this notice was handled before",
            notice_id=notice.notice_id,
        )
    if isinstance(notice, RefundNotice):
        return _refund_notice(provider, body, notice)
    payment = Payment.objects.filter(provider=provider, out_trade_no=notice.out_trade_no).first()
    if payment is None:
        logger.warning(
            "payment notification rejected: unknown payment",
            extra={"provider": provider, "out_trade_no": notice.out_trade_no},
        )
        return _record(
            provider, body, Outcome.UNKNOWN, message=notice.out_trade_no, notice_id=notice.notice_id
        )
    if notice.amount != payment.amount:
        message = f"notified {notice.amount} for {payment.amount}"
        logger.error(
            "payment notification rejected: wrong amount",
            extra={"provider": provider, "out_trade_no": payment.out_trade_no, "note": message},
        )
        return _record(
            provider,
            body,
            Outcome.WRONG_AMOUNT,
            payment=payment,
            message=message,
            notice_id=notice.notice_id,
        )
    with transaction.atomic():
        if notice.status == SUCCEEDED:
            outcome, message = _money_arrived(payment, notice)
        elif notice.status in (FAILED, CLOSED):
            outcome, message = _not_paid(payment, notice.status)
        else:
            outcome, message = Outcome.DUPLICATE, "the trade is still waiting"
        return _record(
            provider, body, outcome, payment=payment, message=message, notice_id=notice.notice_id
        )


def confirm_by_query(*, payment: Payment) -> Payment:
    """Ask the provider about a payment still awaiting the shopper and apply what it says
    with the same rules as a notification (paid, refunded as late or double, failed,
    closed). For the return page, when the shopper is back before the notification, and
    for the safety-net job. A provider error is logged and leaves the payment as it was.
    Returns the payment, fresh from the database."""
    payment.refresh_from_db()
    if payment.status != Payment.Status.CREATED:
        return payment
    try:
        notice = get_provider(payment.provider).query_trade(out_trade_no=payment.out_trade_no)
    except (UnknownProvider, ProviderError) as error:
        logger.warning(
            "payment not confirmed: the provider did not answer",
            extra={"out_trade_no": payment.out_trade_no, "error": repr(error)},
        )
        return payment
    if notice.status == SUCCEEDED:
        if notice.amount != payment.amount:
            logger.error(
                "payment not confirmed: the provider reports another amount",
                extra={"out_trade_no": payment.out_trade_no, "amount": str(notice.amount)},
            )
            return payment
        _money_arrived(payment, notice)
    elif notice.status in (FAILED, CLOSED):
        _not_paid(payment, notice.status)
    payment.refresh_from_db()
    return payment


def confirm_open_payments(*, now=None, limit: int = 200) -> int:
    """The safety net for lost notifications: every payment still awaiting the shopper
    after ``MALL_PAYMENT_CONFIRM_AFTER_SECONDS`` is confirmed by query; one still open
    whose order no longer awaits it (cancelled, paid, or paying with a newer payment) is
    closed at the provider. Returns how many payments changed. Safe to run at once or
    twice: each change is a conditional UPDATE."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.MALL_PAYMENT_CONFIRM_AFTER_SECONDS)
    due = (
        Payment.objects.filter(
            status=Payment.Status.CREATED,
            created_at__lte=cutoff,
            created_at__gte=now - CONFIRM_WINDOW,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    changed = 0
    for pk in list(due):
        payment = confirm_by_query(payment=Payment(pk=pk))
        if payment.status != Payment.Status.CREATED:
            changed += 1
            continue
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=payment.order_id)
            superseded = order.payments.filter(pk__gt=payment.pk).exists()
            if order.status != Order.Status.PENDING_PAYMENT or superseded:
                changed += _close_open(order, only=payment)
    return changed
