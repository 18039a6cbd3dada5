"""Paying an order through the sandbox provider: the shopper's path through the pages,
every kind of notification (accepted, duplicate, bad signature, wrong amount, unknown,
late, double, failed), paying again, confirming by query when notifications are late
or lost, and money recorded once when notifications, queries and a cancellation race
(threads against PostgreSQL)."""

import datetime
import json
import logging
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from catalog.models import Reservation
from catalog.services import inventory
from orders import tasks
from orders.exceptions import PaymentRefused
from orders.models import Order, Payment, PaymentNotification, Refund, SandboxTrade
from orders.providers.adapters import sandbox_gateway
from orders.providers.base import Client
from orders.services import ordering, payments
from orders.views.payments import payment_urls
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders import paying
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db

Outcome = PaymentNotification.Outcome


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


@pytest.fixture
def order(tea):
    return place(items=[(tea, 1)])  # 45.00 + 10.00 shipping


def _notify_path():
    return reverse("payments:notify", args=["sandbox"])


def test_views_build_the_urls_start_payment_needs(settings):
    settings.ALLOWED_HOSTS = ["shop.example.com"]
    request = RequestFactory().get("/", HTTP_HOST="shop.example.com", secure=True)
    assert payment_urls(request) == {
        "provider": "sandbox",
        "notify_url": "https://shop.example.com/payments/notify/sandbox/",
        "return_url": "https://shop.example.com/payments/return/{out_trade_no}/",
        "client": Client(mobile=False, ip="127.0.0.1"),
    }


def test_the_shoppers_path_from_pay_page_to_paid_order(
    client, order, tea, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    started = paying.start(order)
    payment = started.payment
    assert (payment.amount, payment.status, payment.provider) == (
        Decimal("55.00"),
        Payment.Status.CREATED,
        "sandbox",
    )
    assert started.redirect_url == (
        f"http://testserver/payments/sandbox/pay/{payment.out_trade_no}/"
    )
    trade = paying.trade_of(payment)
    assert trade.return_url == f"http://testserver/payments/return/{payment.out_trade_no}/"
    assert trade.notify_url == "http://testserver/payments/notify/sandbox/"
    assert trade.expires_at == order.pay_by

    client.force_login(order.user)
    with django_assert_max_num_queries(4):  # session, shopper, payment with order, trade
        page = client.get(started.redirect_url)
    assert page.status_code == 200
    assert order.number in page.text and "¥55.00" in page.text and 'value="pay"' in page.text

    with django_capture_on_commit_callbacks() as scheduled:
        paid = client.post(started.redirect_url, {"outcome": "pay"})
    assert len(scheduled) == 1  # the notification, delivered by a task after commit
    assert paid.status_code == 302
    assert paid["Location"].startswith(trade.return_url + "?")
    trade.refresh_from_db()
    assert trade.status == SandboxTrade.Status.PAID

    # The sandbox's notification reaches the shop's endpoint.
    answer = client.post(_notify_path(), paying.notification(payment))
    assert answer.content == b"success"
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert payment.status == Payment.Status.SUCCEEDED and payment.paid_at is not None
    assert payment.provider_trade_no == trade.trade_no
    pay_entry = order.timeline.get(transition="pay")
    assert (pay_entry.from_state, pay_entry.to_state, pay_entry.actor) == (
        "pending_payment",
        "paid",
        None,
    )
    assert payment.out_trade_no in pay_entry.reason
    # A paid order's units stay held until shipment: they no longer expire.
    assert order.lines.get().reservations.get().expires_at is None
    later = timezone.now() + datetime.timedelta(days=1)
    assert inventory.release_expired(now=later) == 0
    assert order.lines.get().reservations.get().status == Reservation.Status.OPEN

    # The browser comes back with the signed return parameters: the order page.
    with django_assert_max_num_queries(5):
        back = client.get(paid["Location"])
    assert back.status_code == 302
    assert back["Location"] == f"/orders/{order.number}/"
    shown = [str(m) for m in back.wsgi_request._messages]
    assert shown == ["Thank you: your payment of 55.00 was received."]
    # The paid trade's page offers nothing more to pay.
    again = client.post(started.redirect_url, {"outcome": "pay"})
    assert again.status_code == 409 and "This payment has been made." in again.text
    assert SandboxTrade.objects.get(pk=trade.pk).status == SandboxTrade.Status.PAID


def test_a_notification_with_a_bad_signature_is_rejected_logged_and_kept(client, order, caplog):
    payment = paying.start(order).payment
    paying.settle(payment)
    params = paying.notification(payment)
    tampered = {**params, "sign": params["sign"][:-1] + ("0" if params["sign"][-1] != "0" else "1")}

    with caplog.at_level(logging.WARNING, logger="orders.payments"):
        answer = client.post(_notify_path(), tampered)

    assert answer.content == b"fail"
    record = PaymentNotification.objects.get()
    assert (record.outcome, record.payment) == (Outcome.BAD_SIGNATURE, None)
    assert record.body["out_trade_no"] == payment.out_trade_no
    assert "bad signature" in caplog.text
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.status) == (Payment.Status.CREATED, Order.Status.PENDING_PAYMENT)
    # A return message replayed as a notification is not one either.
    replayed = client.post(_notify_path(), sandbox_gateway.return_params(paying.trade_of(payment)))
    assert replayed.content == b"fail"
    assert PaymentNotification.objects.filter(outcome=Outcome.BAD_SIGNATURE).count() == 2


def test_a_signed_notification_with_a_wrong_amount_is_rejected_and_logged(client, order, caplog):
    payment = paying.start(order).payment
    paying.settle(payment)
    wrong = paying.forged(paying.notification(payment), total_amount="0.01")

    with caplog.at_level(logging.ERROR, logger="orders.payments"):
        answer = client.post(_notify_path(), wrong)

    assert answer.content == b"fail"
    record = PaymentNotification.objects.get()
    assert (record.outcome, record.payment) == (Outcome.WRONG_AMOUNT, payment)
    assert "0.01" in record.message and "55.00" in record.message
    assert "wrong amount" in caplog.text
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert not Payment.objects.exclude(status=Payment.Status.CREATED).exists()


def test_a_notification_about_an_unknown_payment_is_rejected(client, order):
    payment = paying.start(order).payment
    paying.settle(payment)
    unknown = paying.forged(paying.notification(payment), out_trade_no="P2026000000000000000")

    assert client.post(_notify_path(), unknown).content == b"fail"
    assert PaymentNotification.objects.get().outcome == Outcome.UNKNOWN
    # A provider that is not switched on has no endpoint at all.
    assert client.post(reverse("payments:notify", args=["alipay"]), unknown).status_code == 404
    assert client.get(_notify_path()).status_code == 405


def test_repeated_notifications_change_nothing(client, order):
    payment = paying.start(order).payment
    paying.settle(payment)
    params = paying.notification(payment)

    first = client.post(_notify_path(), params)
    payment.refresh_from_db()
    paid_at = payment.paid_at
    second = client.post(_notify_path(), params)
    third = client.post(_notify_path(), paying.notification(payment))  # a fresh notify_id

    assert [r.content for r in (first, second, third)] == [b"success"] * 3
    assert list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True)) == [
        Outcome.ACCEPTED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    ]
    payment.refresh_from_db()
    assert payment.paid_at == paid_at and payment.refunded_amount == 0
    assert order.timeline.filter(transition="pay").count() == 1
    assert not Refund.objects.exists()


def test_a_payment_arriving_after_cancellation_is_refunded_and_stock_stays_released(order, tea):
    payment = paying.start(order).payment
    paying.settle(payment)  # the shopper paid; the notification is still on its way
    ordering.cancel_order(order=order, actor=order.user, reason="不想要了")
    payment.refresh_from_db()
    # The provider reported the trade as paid, so it stayed open for its notification.
    assert payment.status == Payment.Status.CREATED
    assert inventory.available_units(tea) == 10

    record = paying.notify(payment)

    assert record.outcome == Outcome.LATE
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert payment.paid_at is not None and payment.refunded_amount == payment.amount
    assert payment.status == Payment.Status.CLOSED  # arrived, not kept, refunded
    refund = Refund.objects.get()
    assert (refund.payment, refund.amount, refund.status) == (payment, Decimal("55.00"), "pending")
    assert refund.idempotency_key == f"late-{payment.out_trade_no}"
    assert inventory.available_units(tea) == 10  # the late money did not take the stock back
    assert not order.timeline.filter(transition="pay").exists()
    # The refund reaches the sandbox once, however often it is submitted.
    payments.submit_refund(refund=refund)
    payments.submit_refund(refund=refund)
    trade = paying.trade_of(payment)
    assert trade.refunded_amount == Decimal("55.00") and trade.refunds.count() == 1
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    # Again: a duplicate, no second refund.
    assert paying.notify(payment).outcome == Outcome.DUPLICATE
    assert Refund.objects.count() == 1


def test_money_arriving_after_the_stock_was_released_is_refunded(order, tea):
    payment = paying.start(order).payment
    paying.settle(payment)
    # The unpaid-order job is late: the reservation's own expiry released the stock.
    assert inventory.release_expired(now=timezone.now() + datetime.timedelta(hours=1)) == 1

    assert paying.notify(payment).outcome == Outcome.LATE
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT  # the job cancels it
    assert payment.refunded_amount == payment.amount
    assert inventory.available_units(tea) == 10


def test_cancelling_closes_the_open_payment_so_its_page_takes_no_money(client, order):
    started = paying.start(order)
    ordering.cancel_order(order=order, actor=order.user, reason="买错了")
    payment = started.payment
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CLOSED
    assert paying.trade_of(payment).status == SandboxTrade.Status.CLOSED

    client.force_login(order.user)
    page = client.get(started.redirect_url)
    assert "This payment is closed and can no longer be paid." in page.text
    assert 'value="pay"' not in page.text
    refused = client.post(started.redirect_url, {"outcome": "pay"})
    assert refused.status_code == 409
    assert paying.trade_of(payment).status == SandboxTrade.Status.CLOSED
    with pytest.raises(PaymentRefused, match="cancelled"):
        paying.start(order)


def test_a_second_payment_of_a_paid_order_is_refunded(order):
    first = paying.start(order).payment
    paying.settle(first)  # paid in one tab; its notification is late
    second = paying.start(order).payment  # "pay" again in another tab
    first.refresh_from_db()
    assert first.status == Payment.Status.CREATED  # paid at the sandbox: not closed
    paying.settle(second)

    assert paying.notify(second).outcome == Outcome.ACCEPTED
    record = paying.notify(first)

    assert record.outcome == Outcome.DOUBLE
    order.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert second.status == Payment.Status.SUCCEEDED and second.refunded_amount == 0
    # Recorded as money received, kept out of the one success per order, refunded.
    assert first.status == Payment.Status.CLOSED and first.paid_at is not None
    assert first.refunded_amount == first.amount
    assert Refund.objects.get().idempotency_key == f"double-{first.out_trade_no}"
    assert order.timeline.filter(transition="pay").count() == 1


def test_a_failed_payment_can_be_paid_again(order):
    failed = paying.start(order).payment
    paying.settle(failed, succeed=False)

    assert paying.notify(failed).outcome == Outcome.FAILED
    failed.refresh_from_db()
    order.refresh_from_db()
    assert failed.status == Payment.Status.FAILED
    assert order.status == Order.Status.PENDING_PAYMENT
    assert paying.notify(failed).outcome == Outcome.DUPLICATE

    again = paying.start(order)
    assert again.payment.out_trade_no != failed.out_trade_no
    paying.settle(again.payment)
    assert paying.notify(again.payment).outcome == Outcome.ACCEPTED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert list(order.payments.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]


def test_starting_a_payment_again_closes_the_abandoned_one(order):
    abandoned = paying.start(order).payment
    fresh = paying.start(order).payment
    abandoned.refresh_from_db()
    assert abandoned.status == Payment.Status.CLOSED
    assert paying.trade_of(abandoned).status == SandboxTrade.Status.CLOSED
    assert fresh.status == Payment.Status.CREATED


def test_payments_are_refused_when_the_order_cannot_be_paid(order, settings, tea):
    with pytest.raises(PaymentRefused, match="Only the shopper"):
        paying.start(order, actor=UserFactory())
    settings.MALL_PAYMENT_PROVIDERS = []
    with pytest.raises(PaymentRefused, match="not available"):
        paying.start(order)
    settings.MALL_PAYMENT_PROVIDERS = ["sandbox"]
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(PaymentRefused, match="run out"):
        paying.start(order)
    assert not Payment.objects.exists() and not SandboxTrade.objects.exists()

    paid = place(items=[(tea, 1)])
    paying.pay(paid)
    with pytest.raises(PaymentRefused, match="paid already"):
        paying.start(paid)
    assert paid.payments.count() == 1


def test_the_return_page_confirms_by_query_when_the_notification_is_late(
    client, order, django_assert_max_num_queries
):
    payment = paying.start(order).payment
    trade = paying.settle(payment)  # no notification yet
    client.force_login(order.user)

    # The query's writes: payment, order, timeline; and the membership's two statements (a
    # paid order may lift the shopper's tier at once).
    with django_assert_max_num_queries(26):
        back = client.get(sandbox_gateway.return_url(trade))

    assert back.status_code == 302 and back["Location"] == f"/orders/{order.number}/"
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.PAID and payment.status == Payment.Status.SUCCEEDED
    assert not PaymentNotification.objects.exists()  # the query, not a notification
    # The notification arriving later is a duplicate.
    assert paying.notify(payment).outcome == Outcome.DUPLICATE


def test_the_return_page_tells_a_failure_and_ignores_forged_parameters(client, order):
    payment = paying.start(order).payment
    trade = paying.settle(payment, succeed=False)
    client.force_login(order.user)

    forged = client.get(
        reverse("payments:return", args=[payment.out_trade_no]),
        {"out_trade_no": payment.out_trade_no, "sign": "0" * 64, "sign_type": "HMAC-SHA256"},
    )
    assert forged["Location"] == f"/orders/{order.number}/"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED  # nothing was asked, nothing changed
    assert "could not check" in str(next(iter(forged.wsgi_request._messages)))

    back = client.get(sandbox_gateway.return_url(trade))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    shown = [str(m) for m in back.wsgi_request._messages]
    assert shown[-1] == "The payment did not go through. You can try again."


def test_only_the_orders_shopper_opens_its_pay_and_return_pages(client, order):
    started = paying.start(order)
    trade = paying.trade_of(started.payment)
    back = sandbox_gateway.return_url(trade)

    anonymous = client.get(started.redirect_url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    client.force_login(UserFactory())
    assert client.get(started.redirect_url).status_code == 404
    assert client.post(started.redirect_url, {"outcome": "pay"}).status_code == 404
    assert client.get(back).status_code == 404
    assert paying.trade_of(started.payment).status == SandboxTrade.Status.WAITING
    missing = reverse("payments:sandbox_pay", args=["P0"])
    client.force_login(order.user)
    assert client.get(missing).status_code == 404
    assert client.post(started.redirect_url, {"outcome": "steal"}).status_code == 400


def test_the_safety_net_confirms_lost_notifications_and_closes_unwanted_payments(order, tea):
    lost = paying.start(order).payment
    paying.settle(lost)  # its notification never arrives
    other = place(items=[(tea, 1)])
    abandoned = paying.start(other).payment
    Payment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))

    assert payments.confirm_open_payments() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    abandoned.refresh_from_db()
    assert abandoned.status == Payment.Status.CREATED  # its order still awaits it

    # The shop lost track of the cancellation's close (the provider did not answer).
    Order.objects.filter(pk=other.pk).update(status=Order.Status.CANCELLED)
    assert payments.confirm_open_payments() == 1
    abandoned.refresh_from_db()
    assert abandoned.status == Payment.Status.CLOSED
    assert paying.trade_of(abandoned).status == SandboxTrade.Status.CLOSED
    assert payments.confirm_open_payments() == 0


def test_cancelling_a_paid_order_refunds_it_once(order, tea):
    payment = paying.pay(order)
    ordering.cancel_order(order=order, actor=order.user, reason="地址填错")

    refund = Refund.objects.get()
    assert refund.idempotency_key == f"cancel-{order.number}:{payment.out_trade_no}"
    assert (refund.amount, refund.requested_by) == (Decimal("55.00"), order.user)
    again = payments.refund_order(
        order=order, actor=order.user, reason="again", idempotency_key=f"cancel-{order.number}"
    )
    assert again == [refund]
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("55.00")
    assert inventory.available_units(tea) == 10


@pytest.mark.parametrize("count", [2, 12])
def test_operators_look_payments_up_read_only_in_bounded_queries(
    client, count, django_assert_max_num_queries
):
    tea = listed_sku(price="45.00", stock=50)
    shopper = UserFactory()
    address = AddressFactory(user=shopper)
    for _ in range(count // 2):
        placed = place(user=shopper, address=address, items=[(tea, 1)])
        paid = paying.pay(placed)
        payments.refund(
            payment=paid, amount="5.00", reason="退差价", idempotency_key=placed.number, actor=None
        )
        paying.start(place(user=shopper, address=address, items=[(tea, 1)]))
    client.post(_notify_path(), {"out_trade_no": "P0", "sign": "x"})
    client.force_login(UserFactory(roles=["operator"]))

    pages = {
        "admin:orders_payment_changelist": count,
        "admin:orders_paymentnotification_changelist": count // 2 + 1,
        "admin:orders_refund_changelist": count // 2,
    }
    for name, rows in pages.items():
        with django_assert_max_num_queries(12):
            listed = client.get(reverse(name))
        assert listed.status_code == 200 and listed.context["cl"].result_count == rows
    rejected = client.get(
        reverse("admin:orders_paymentnotification_changelist"), {"outcome": "bad_signature"}
    )
    assert rejected.context["cl"].result_count == 1
    payment = Payment.objects.filter(paid_at__isnull=False).first()
    with django_assert_max_num_queries(16):
        page = client.get(reverse("admin:orders_payment_change", args=[payment.pk]))
    assert page.status_code == 200 and payment.out_trade_no in page.text
    assert (
        client.post(reverse("admin:orders_payment_change", args=[payment.pk]), {}).status_code
        == 403
    )
    assert client.get(reverse("admin:orders_refund_add")).status_code == 403
    # The sandbox's books are the provider's, not the operators'.
    assert client.get(reverse("admin:orders_sandboxtrade_changelist")).status_code == 403


# --- Races against PostgreSQL --------------------------------------------------------------


@pytest.fixture
def no_broker(monkeypatch):
    """Nothing leaves for Celery: the sandbox's notification (the test delivers it) and
    refund submissions (recorded, one per refund)."""
    enqueued = []
    monkeypatch.setattr(tasks.deliver_sandbox_notification, "delay", lambda trade_id: None)
    monkeypatch.setattr(tasks.submit_refund, "delay", enqueued.append)
    return enqueued


def test_racing_notifications_and_queries_record_the_money_once(transactional_db, no_broker):
    tea = listed_sku(price="45.00", stock=10)
    order = place(items=[(tea, 1)])
    payment = paying.start(order).payment
    paying.settle(payment)
    params = paying.notification(payment)

    # The provider delivers (and retries) its notification while the return page and the
    # safety-net job ask about the same payment.
    def arrive(index):
        if index % 3 == 0:
            return payments.confirm_by_query(payment=Payment(pk=payment.pk))
        fresh = paying.notification(payment) if index % 3 == 1 else params
        return payments.handle_notification(provider="sandbox", params=fresh)

    _done, errors = race(arrive, 9)

    assert errors == []
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.paid_at is not None
    assert payment.refunded_amount == 0
    assert order.status == Order.Status.PAID
    assert order.timeline.filter(transition="pay").count() == 1
    assert not Refund.objects.exists() and no_broker == []
    # Six notifications recorded: at most one brought the money in (or a query did).
    outcomes = list(PaymentNotification.objects.values_list("outcome", flat=True))
    assert len(outcomes) == 6 and outcomes.count(Outcome.ACCEPTED) <= 1
    assert set(outcomes) <= {Outcome.ACCEPTED, Outcome.DUPLICATE}
    # The unit is held for the paid order once.
    assert inventory.available_units(tea) == 9
    reservation = Reservation.objects.get(order_lines__order=order)
    assert reservation.status == Reservation.Status.OPEN and reservation.expires_at is None


def test_a_payment_racing_a_cancellation_is_refunded_exactly_once(transactional_db, no_broker):
    tea = listed_sku(price="45.00", stock=10)
    for _round in range(6):
        order = place(items=[(tea, 1)])
        payment = paying.start(order).payment
        paying.settle(payment)  # the shopper paid; the shop does not know yet
        params = paying.notification(payment)

        # The shopper cancels while the notification and the return page's query arrive.
        def act(index, order=order, payment=payment, params=params):
            if index == 0:
                return ordering.cancel_order(
                    order=Order.objects.get(pk=order.pk), actor=order.user, reason="不想要了"
                )
            if index == 1:
                return payments.handle_notification(provider="sandbox", params=params)
            return payments.confirm_by_query(payment=Payment(pk=payment.pk))

        _done, errors = race(act, 3)

        assert errors == []
        order.refresh_from_db()
        payment.refresh_from_db()
        # Whoever came first, the order is cancelled and the money goes back once, in full.
        assert order.status == Order.Status.CANCELLED
        assert payment.paid_at is not None
        assert payment.refunded_amount == payment.amount == Decimal("55.00")
        refund = Refund.objects.get(payment__order=order)
        assert refund.amount == payment.amount
        transitions = list(order.timeline.order_by("pk").values_list("transition", flat=True))
        notified = PaymentNotification.objects.get(payment=payment).outcome
        if transitions == ["place", "pay", "cancel"]:
            # Paid first (by the notification or the query): the cancellation refunded it.
            assert payment.status == Payment.Status.SUCCEEDED
            assert refund.idempotency_key == f"cancel-{order.number}:{payment.out_trade_no}"
            assert notified in (Outcome.ACCEPTED, Outcome.DUPLICATE)
        else:
            # Cancelled first: the money arrived late and was refunded on arrival.
            assert transitions == ["place", "cancel"]
            assert payment.status == Payment.Status.CLOSED
            assert refund.idempotency_key == f"late-{payment.out_trade_no}"
            assert notified in (Outcome.LATE, Outcome.DUPLICATE)
        assert inventory.available_units(tea) == 10  # the unit is free again, once
    assert len(no_broker) == Refund.objects.count() == 6


def test_an_oversized_notification_is_refused_unread_and_not_stored(client, settings):
    settings.MALL_PAYMENT_NOTIFY_MAX_BYTES = 8 * 1024
    answer = client.post(_notify_path(), {"out_trade_no": "X", "junk": "A" * 1_500_000})
    assert answer.status_code == 413
    assert not PaymentNotification.objects.exists()


def test_an_unverified_notification_is_stored_truncated(client, order):
    payment = paying.start(order).payment
    params = {**paying.notification(payment), "sign": "forged"}
    params.update({f"extra{n}": "B" * 300 for n in range(20)})  # about 6 KB of filler
    answer = client.post(_notify_path(), params)
    assert answer.content == b"fail"
    record = PaymentNotification.objects.get()
    assert record.outcome == Outcome.BAD_SIGNATURE
    assert record.body["out_trade_no"] == payment.out_trade_no  # still traceable
    stored = len(json.dumps(record.body, ensure_ascii=False))
    assert stored <= payments.UNVERIFIED_BODY_MAX_CHARS + 100
    assert record.body.get("_truncated") is True


def test_notifications_from_one_address_are_throttled(client, settings):
    settings.MALL_PAYMENT_NOTIFY_RATE = "5/m"
    answers = [
        client.post(_notify_path(), {"out_trade_no": f"X{n}"}, REMOTE_ADDR="198.51.100.7")
        for n in range(7)
    ]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 2
    assert PaymentNotification.objects.count() == 5
    other = client.post(_notify_path(), {"out_trade_no": "Y"}, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 200
