"""Payments through a provider adapter (``orders.providers``): starting a payment,
handling the provider's signed notifications, querying, and refunds that never pay more
than was paid.

Guarantees, and what gives them:

- **Money is recorded once.** A payment's money arrives at most once: ``paid_at`` is set
  by a conditional UPDATE (``paid_at IS NULL``) under the order's and the payment's row
  locks (order first, as every order service locks). A repeated notification, or a
  notification and a query racing, find it set and change nothing. An order keeps one
  successful payment (a partial unique index); money that cannot be kept (the order was
  cancelled, or paid by another payment) is refunded in full at once.
- **Refunds never exceed what was paid.** ``Payment.refunded_amount`` counts every refund
  asked for (pending, done or failed) and is raised by a conditional UPDATE that keeps
  it within ``amount``; a CHECK constraint is the last guard. Each refund has a unique
  ``idempotency_key``: a repeated or concurrent request with the same key returns the
  first refund.
- **Money leaves only after the decision is committed.** A refund is sent to the provider
  by the task ``orders.tasks.submit_refund``, enqueued with ``transaction.on_commit``; the
  provider pays once per ``Refund.refund_no`` (its own idempotency), so a retried task,
  the safety-net job and a person retrying can never pay twice. A provider that cannot
  be reached leaves the refund ``pending`` (retried with backoff, then by the job every
  few minutes); one that refuses leaves it ``failed`` with the reason, for a person.
- **Notifications can be late or lost.** The return page and the job
  ``confirm_open_payments`` ask the provider (``confirm_by_query``) and apply the same
  rules.

Logger ``orders.payments``: rejected notifications (bad signature, wrong amount, unknown
payment), late and double payments, provider errors.
"""

import datetime
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Reservation
from catalog.services import inventory
from mall.jobs import enqueue
from mall.money import to_money
from mall.numbers import new_number
from mall.statemachine import transition

from ..exceptions import PaymentRefused, RefundRefused
from ..models import (
    ORDER_MACHINE,
    Order,
    OrderStatusChange,
    Payment,
    PaymentNotification,
    Refund,
)
from ..providers.base import (
    CLOSED,
    FAILED,
    SUCCEEDED,
    BadSignature,
    ProviderError,
    ProviderRefused,
    TradeNotice,
)
from ..providers.registry import UnknownProvider, get_provider

logger = logging.getLogger("orders.payments")

Outcome = PaymentNotification.Outcome

# In ``start_payment``'s ``return_url``: replaced by the new payment's number.
OUT_TRADE_NO = "{out_trade_no}"
# Providers stop notifying after about a day (Alipay: 25 hours); the safety-net job asks
# about open payments no older than this.
CONFIRM_WINDOW = datetime.timedelta(days=3)


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    redirect_url: str  # the provider's page; absolute when ``return_url`` was


def _subject(order: Order) -> str:
    return _("%(shop)s order %(number)s") % {"shop": settings.MALL_NAME, "number": order.number}


# --- Starting a payment ----------------------------------------------------------------------


def start_payment(
    *, order: Order, actor, notify_url: str, return_url: str, provider: str = "sandbox"
) -> PaymentStart:
    """Start paying ``order`` with ``provider``: a new ``Payment`` (a new
    ``out_trade_no``) for the order's total, a trade opened at the provider, and the URL
    to send the shopper to. "Pay again" after a failure or an abandoned page is another
    call; earlier payments still open are closed at the provider first, so that one
    order is not paid twice from two tabs (if it is, the second payment is refunded).

    ``notify_url`` is the absolute URL of ``payments:notify`` for ``provider``;
    ``return_url`` the absolute URL of ``payments:return``, in which the text
    ``{out_trade_no}`` (``OUT_TRADE_NO``) is replaced by the new payment's number. A view
    builds both with ``orders.views.payments.payment_urls(request, provider)``::

        start = payments.start_payment(order=order, actor=request.user, **payment_urls(request))

    Raises ``PaymentRefused`` (a message for the shopper) when the provider is not
    available, ``actor`` is not the order's shopper, the order is paid or cancelled,
    its time to pay has run out, or the provider does not answer. Writes nothing then.
    """
    try:
        adapter = get_provider(provider)
    except UnknownProvider:
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
        if order.total <= 0:
            raise PaymentRefused(_("This order has nothing to pay."))
        _close_open(order)
        payment = Payment.objects.create(
            order=order,
            provider=provider,
            out_trade_no=new_number("P", with_time=True),
            amount=order.total,
        )
        try:
            redirect_url = adapter.create_trade(
                out_trade_no=payment.out_trade_no,
                amount=payment.amount,
                subject=_subject(order),
                notify_url=notify_url,
                return_url=return_url.replace(OUT_TRADE_NO, payment.out_trade_no),
                expires_at=order.pay_by,
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


# --- Money arrives, or does not --------------------------------------------------------------


def _stock_held(order: Order) -> bool:
    return (
        not Reservation.objects.filter(order_line__order=order)
        .exclude(status=Reservation.Status.OPEN)
        .exists()
    )


def _keep_stock(order: Order) -> None:
    # A paid order's units stay held until shipment: the unpaid-order expiry no longer
    # applies to them (catalog's release_expired would otherwise give them back).
    inventory.hold_until_shipped(
        reservations=Reservation.objects.filter(order_line__order=order).only("pk")
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
                reason=_("Paid %(amount)s, payment %(number)s")
                % {"amount": payment.amount, "number": payment.out_trade_no},
            )
            _close_open(order, keep=payment)
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


def _record(provider, body, outcome, *, payment=None, message="") -> PaymentNotification:
    return PaymentNotification.objects.create(
        payment=payment, provider=provider, body=body, outcome=outcome, message=message[:200]
    )


def handle_notification(*, provider: str, params: dict) -> PaymentNotification:
    """Handle an asynchronous notification of ``provider`` (its POSTed parameters) and
    return the ``PaymentNotification`` recording it with its outcome. Every notification
    is recorded, whatever happens:

    - ``bad_signature``, ``unknown`` (no such payment of this provider) and
      ``wrong_amount``: rejected and logged; nothing else changes;
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
    except BadSignature as error:
        logger.warning(
            "payment notification rejected: bad signature",
            extra={"provider": provider, "out_trade_no": body.get("out_trade_no", "")},
        )
        return _record(provider, body, Outcome.BAD_SIGNATURE, message=str(error))
    payment = Payment.objects.filter(provider=provider, out_trade_no=notice.out_trade_no).first()
    if payment is None:
        logger.warning(
            "payment notification rejected: unknown payment",
            extra={"provider": provider, "out_trade_no": notice.out_trade_no},
        )
        return _record(provider, body, Outcome.UNKNOWN, message=notice.out_trade_no)
    if notice.amount != payment.amount:
        message = f"notified {notice.raw.get('total_amount', '')!r} for {payment.amount}"
        logger.error(
            "payment notification rejected: wrong amount",
            extra={"provider": provider, "out_trade_no": payment.out_trade_no, "note": message},
        )
        return _record(provider, body, Outcome.WRONG_AMOUNT, payment=payment, message=message)
    with transaction.atomic():
        if notice.status == SUCCEEDED:
            outcome, message = _money_arrived(payment, notice)
        elif notice.status in (FAILED, CLOSED):
            outcome, message = _not_paid(payment, notice.status)
        else:
            outcome, message = Outcome.DUPLICATE, "the trade is still waiting"
        return _record(provider, body, outcome, payment=payment, message=message)


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


# --- Refunds ---------------------------------------------------------------------------------


def _same_refund(existing: Refund, payment: Payment, amount) -> Refund:
    try:
        same_amount = to_money(amount) == existing.amount
    except (InvalidOperation, ValueError):
        same_amount = False
    if existing.payment_id != payment.pk or not same_amount:
        raise RefundRefused(_("This refund key was used for another refund."))
    return existing


def refund(*, payment: Payment, amount, reason: str, idempotency_key: str, actor) -> Refund:
    """Refund ``amount`` (a Decimal or a string, never a float) of ``payment``; partial
    refunds are allowed. Returns the ``Refund``, ``pending`` until the provider has paid
    it (task ``submit_refund``, enqueued when this transaction commits).

    Idempotent per ``idempotency_key`` (at most 64 characters; unique across refunds):
    a repeated or concurrent call with the same key and the same payment and amount
    returns the first refund and pays nothing more. The sum of a payment's refunds never
    exceeds what it received: a conditional UPDATE of ``refunded_amount`` (CHECK as the
    last guard), so concurrent refunds with different keys pay at most what is left.

    Raises ``RefundRefused`` (with ``refundable``) for an amount not above zero or
    beyond what is left, a payment whose money never arrived, a missing reason, or a
    key used for another refund. Writes nothing then.
    """
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_refund(existing, payment, amount)
    try:
        amount = to_money(amount)
    except (InvalidOperation, ValueError) as error:
        raise RefundRefused(_("Give the amount to refund as a number.")) from error
    if amount <= 0:
        raise RefundRefused(_("A refund must be more than zero."))
    if not reason.strip():
        raise RefundRefused(_("Say why the money is refunded."))
    if not idempotency_key or len(idempotency_key) > 64:
        raise RefundRefused("A refund needs an idempotency key of at most 64 characters.")
    try:
        with transaction.atomic():
            # The unique key first: a concurrent twin waits here until we commit, then
            # fails and returns our refund, before either touches the balance.
            made = Refund.objects.create(
                payment=payment,
                refund_no=new_number("R", with_time=True),
                amount=amount,
                reason=reason.strip()[:200],
                idempotency_key=idempotency_key,
                requested_by=actor,
            )
            taken = Payment.objects.filter(
                pk=payment.pk,
                paid_at__isnull=False,
                refunded_amount__lte=F("amount") - amount,
            ).update(refunded_amount=F("refunded_amount") + amount)
            if not taken:
                payment.refresh_from_db(fields=["paid_at", "amount", "refunded_amount"])
                if payment.paid_at is None:
                    raise RefundRefused(
                        _("Nothing was received with this payment, so nothing can be refunded."),
                        refundable=Decimal("0.00"),
                    )
                left = payment.amount - payment.refunded_amount
                raise RefundRefused(
                    _("At most %(left)s can still be refunded from this payment.") % {"left": left},
                    refundable=left,
                )
    except IntegrityError:
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_refund(existing, payment, amount)
    enqueue("orders.tasks.submit_refund", made.pk)
    payment.refresh_from_db(fields=["refunded_amount"])
    return made


def _key_for(idempotency_key: str, payment: Payment) -> str:
    key = f"{idempotency_key}:{payment.out_trade_no}"
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def refund_order(*, order, actor, reason: str, idempotency_key: str) -> list:
    """Refund what is left of every payment of ``order`` whose money arrived (it is being
    cancelled after payment). Each refund's key is ``<idempotency_key>:<out_trade_no>``
    (hashed beyond 64 characters), so a repeated call returns the same refunds and pays
    nothing more. Returns the refunds, oldest payment first. Runs in the caller's
    transaction when there is one (``cancel_order`` calls it after the transition)."""
    refunds = []
    paid = order.payments.filter(paid_at__isnull=False).order_by("pk").select_for_update()
    for payment in paid:
        key = _key_for(idempotency_key, payment)
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            refunds.append(existing)
            continue
        left = payment.amount - payment.refunded_amount
        if left > 0:
            refunds.append(
                refund(
                    payment=payment, amount=left, reason=reason, idempotency_key=key, actor=actor
                )
            )
    return refunds


def retry_refund(*, refund: Refund, actor) -> Refund:
    """For a person, when a refund did not go through: submit it again (``submit_refund``;
    the provider pays once per refund number, so this never pays twice). Raises
    ``RefundRefused`` when it is paid already, ``ProviderError`` when the provider does
    not answer."""
    if refund.status == Refund.Status.SUCCEEDED:
        raise RefundRefused(_("Refund %(number)s is paid already.") % {"number": refund.refund_no})
    logger.info(
        "refund submitted again by a person",
        extra={"refund_no": refund.refund_no, "actor": getattr(actor, "pk", None)},
    )
    return submit_refund(refund=refund)


def submit_refund(*, refund: Refund) -> Refund:
    """Send a refund to its provider and record the answer; the work of the task
    ``submit_refund``. A refund already done is left alone. The provider pays once per
    ``refund_no``, so submitting again (a retry, the job, two at once) never pays twice.

    A provider that refuses marks the refund ``failed`` with its reason (logged as an
    error: a person must look). Raises ``ProviderError`` when the provider could not be
    reached: the refund stays ``pending`` for a retry."""
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status == Refund.Status.SUCCEEDED:
        return refund
    payment = refund.payment
    rows = Refund.objects.filter(pk=refund.pk).exclude(status=Refund.Status.SUCCEEDED)
    try:
        receipt = get_provider(payment.provider).refund(
            out_trade_no=payment.out_trade_no,
            refund_no=refund.refund_no,
            amount=refund.amount,
            reason=refund.reason,
        )
    except (ProviderRefused, UnknownProvider) as error:
        rows.update(
            status=Refund.Status.FAILED, attempts=F("attempts") + 1, last_error=repr(error)[:200]
        )
        logger.error(
            "refund refused by the provider",
            extra={"refund_no": refund.refund_no, "error": repr(error)},
        )
    except ProviderError as error:
        rows.update(attempts=F("attempts") + 1, last_error=repr(error)[:200])
        logger.warning(
            "refund not submitted: the provider did not answer",
            extra={"refund_no": refund.refund_no, "error": repr(error)},
        )
        raise
    else:
        rows.update(
            status=Refund.Status.SUCCEEDED,
            provider_refund_no=receipt.provider_refund_no[:64],
            completed_at=timezone.now(),
            attempts=F("attempts") + 1,
            last_error="",
        )
    refund.refresh_from_db()
    return refund


def resubmit_pending_refunds(*, now=None, limit: int = 100) -> int:
    """The safety net for refunds whose task was lost or gave up: submit again every
    refund still ``pending`` after ``MALL_REFUND_RESUBMIT_AFTER_SECONDS``. Returns how
    many are done now. Failed refunds wait for a person."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.MALL_REFUND_RESUBMIT_AFTER_SECONDS)
    due = (
        Refund.objects.filter(status=Refund.Status.PENDING, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in list(due):
        try:
            made = submit_refund(refund=Refund(pk=pk))
        except ProviderError:
            continue
        done += made.status == Refund.Status.SUCCEEDED
    return done
