"""Refunds: asked for within what the payment received (a conditional UPDATE, a CHECK
behind it), idempotent by key, sent to the provider after commit by a task, retried by a
job while pending, resubmitted by a person when refused."""

import datetime
import hashlib
import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.jobs import enqueue
from mall.money import to_money
from mall.numbers import new_number
from mall.tracking import record_event

from ...exceptions import RefundRefused
from ...models import Payment, Refund
from ...providers.base import (
    ProviderError,
    ProviderRefused,
)
from ...providers.registry import UnknownProvider, get_provider

logger = logging.getLogger("orders.payments")


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
    record_event("order_refunded", order=payment.order_id, amount=amount, refund=made.pk)
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
        if receipt.settled:
            rows.update(
                status=Refund.Status.SUCCEEDED,
                provider_refund_no=receipt.provider_refund_no[:64],
                completed_at=timezone.now(),
                attempts=F("attempts") + 1,
                last_error="",
            )
        else:
            # Accepted, still processing (WeChat Pay): pending until its notification, or
            # until asking again with the same number (resubmit_pending_refunds) says done.
            rows.update(
                status=Refund.Status.PENDING,  # also a failed one a person submitted again
                provider_refund_no=receipt.provider_refund_no[:64],
                attempts=F("attempts") + 1,
                last_error="accepted, the provider is still processing it",
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
