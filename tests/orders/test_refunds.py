"""Refunds: partial refunds, one refund per idempotency key, never more than was paid —
also when many threads ask at once against PostgreSQL — and money that leaves only
after the decision is committed, once, however often it is submitted."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from orders import tasks
from orders.exceptions import RefundRefused
from orders.models import Payment, Refund, SandboxRefund
from orders.providers.adapters import sandbox_gateway
from orders.providers.base import ProviderUnavailable
from orders.services import payments
from tests.clocks import MID_MONTH
from tests.concurrency import race
from tests.orders import paying
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(db):
    order = place(items=[(listed_sku(price="45.00", stock=10), 1)])  # 55.00 with shipping
    return paying.pay(order)


@pytest.fixture
def no_broker(monkeypatch):
    """Refunds enqueue their submission after commit; record it instead of sending it."""
    enqueued = []
    monkeypatch.setattr(tasks.submit_refund, "delay", enqueued.append)
    return enqueued


def _refund(payment, amount, key, reason="退差价"):
    return payments.refund(
        payment=payment, amount=amount, reason=reason, idempotency_key=key, actor=None
    )


def test_partial_refunds_add_up_to_at_most_what_was_paid(payment):
    first = _refund(payment, "30.00", "case-1")
    second = _refund(payment, Decimal("20"), "case-2")
    assert (first.amount, second.amount) == (Decimal("30.00"), Decimal("20.00"))
    assert first.status == second.status == Refund.Status.PENDING
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("50.00")

    with pytest.raises(RefundRefused, match=r"At most 5\.00") as refused:
        _refund(payment, "5.01", "case-3")
    assert refused.value.refundable == Decimal("5.00")
    assert not Refund.objects.filter(idempotency_key="case-3").exists()
    _refund(payment, "5.00", "case-3")
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount


def test_a_repeated_refund_with_the_same_key_returns_the_first(payment):
    first = _refund(payment, "10.00", "case-1")
    again = _refund(payment, "10", "case-1")
    assert again.pk == first.pk
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("10.00") and Refund.objects.count() == 1
    with pytest.raises(RefundRefused, match="another refund"):
        _refund(payment, "11.00", "case-1")


def test_bad_refunds_are_refused_and_write_nothing(payment, db):
    with pytest.raises(RefundRefused, match="more than zero"):
        _refund(payment, "0", "k1")
    with pytest.raises(RefundRefused, match="as a number"):
        _refund(payment, "ten", "k2")
    with pytest.raises(RefundRefused, match="why"):
        _refund(payment, "1.00", "k3", reason=" ")
    with pytest.raises(TypeError):
        _refund(payment, 1.5, "k4")  # money is never a float
    unpaid = paying.start(place(items=[(listed_sku(price="9.00"), 1)])).payment
    with pytest.raises(RefundRefused, match="Nothing was received") as refused:
        _refund(unpaid, "1.00", "k5")
    assert refused.value.refundable == 0
    assert not Refund.objects.exists()
    assert Payment.objects.get(pk=payment.pk).refunded_amount == 0


def test_the_refund_is_submitted_after_commit_and_paid_once(
    payment, no_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refund = _refund(payment, "15.00", "case-1")
    assert no_broker == [refund.pk]

    assert tasks.submit_refund.apply(args=[refund.pk]).get() == Refund.Status.SUCCEEDED
    assert tasks.submit_refund.apply(args=[refund.pk]).get() == Refund.Status.SUCCEEDED
    refund.refresh_from_db()
    made = SandboxRefund.objects.get()
    assert (made.out_request_no, made.amount) == (refund.refund_no, Decimal("15.00"))
    assert refund.provider_refund_no == made.refund_no and refund.completed_at is not None
    assert refund.attempts == 1
    assert paying.trade_of(payment).refunded_amount == Decimal("15.00")


# The safety net must leave a refund alone until it is MALL_REFUND_RESUBMIT_AFTER_SECONDS
# old: on a running clock the refund's six failed attempts could take longer than that on
# a slow machine, and the job submitted it "too early". The clock stands still instead.
@pytest.mark.time_machine(MID_MONTH, tick=False)
def test_a_provider_that_does_not_answer_leaves_the_refund_pending_for_a_retry(
    payment, monkeypatch, settings
):
    refund = _refund(payment, "15.00", "case-1")
    calls = []

    def down(**kwargs):
        calls.append(kwargs)
        raise ProviderUnavailable("connection refused")

    monkeypatch.setattr(sandbox_gateway, "refund", down)
    result = tasks.submit_refund.apply(args=[refund.pk])
    assert result.failed()
    assert len(calls) == 1 + tasks.submit_refund.max_retries
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    assert refund.attempts == len(calls) and "connection refused" in refund.last_error
    monkeypatch.undo()

    # The safety-net job submits it again once it is old enough.
    settings.MALL_REFUND_RESUBMIT_AFTER_SECONDS = 60
    assert payments.resubmit_pending_refunds() == 0
    later = timezone.now() + datetime.timedelta(minutes=2)
    assert payments.resubmit_pending_refunds(now=later) == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and SandboxRefund.objects.count() == 1


def test_a_refund_the_provider_refuses_is_failed_for_a_person(payment, caplog):
    refund = _refund(payment, "15.00", "case-1")
    # The provider knows better: it received less than the shop thinks (as a test only).
    sandbox_gateway.refund(
        out_trade_no=payment.out_trade_no, out_request_no="elsewhere", amount=Decimal("50.00")
    )
    failed = payments.submit_refund(refund=refund)
    assert failed.status == Refund.Status.FAILED and "exceeds" in failed.last_error
    assert "refund refused by the provider" in caplog.text
    # Still counted against the payment: never paid twice by a second request.
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("15.00")
    assert payments.resubmit_pending_refunds(now=timezone.now() + datetime.timedelta(hours=1)) == 0


def test_concurrent_refunds_never_exceed_what_was_paid_and_pay_once(transactional_db, no_broker):
    order = place(items=[(listed_sku(price="45.00", stock=10), 1)])
    payment = paying.pay(order)  # 55.00

    # Ten requests of 20.00 with different keys: only two fit in 55.00.
    made, refused = race(lambda i: _refund(Payment(pk=payment.pk), "20.00", f"case-{i}"), 10)
    assert len(made) == 2 and len(refused) == 8
    assert all(isinstance(error, RefundRefused) for error in refused)
    # Eight repeats of one request (a double click, a retried call): one refund.
    repeated, errors = race(lambda i: _refund(Payment(pk=payment.pk), "15.00", "same-key"), 8)
    assert errors == [] and len({refund.pk for refund in repeated}) == 1

    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("55.00")
    assert Refund.objects.count() == 3 and len(no_broker) == 3

    # Each refund submitted by many workers at once reaches the provider once.
    for refund in Refund.objects.all():
        done, errors = race(lambda i, pk=refund.pk: payments.submit_refund(refund=Refund(pk=pk)), 6)
        assert errors == [] and {r.status for r in done} == {Refund.Status.SUCCEEDED}
    trade = paying.trade_of(payment)
    assert trade.refunds.count() == 3
    assert trade.refunded_amount == Decimal("55.00") == trade.amount
