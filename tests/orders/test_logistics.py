"""Logistics: the polling job tracks parcels to delivery against the sandbox carrier
(batched, with backoff, storing each event once), opens exception cases for delayed,
lost and damaged parcels, operators resolve them (reship, refund, claim, close), and the
carrier scorecard adds it all up in SQL."""

import datetime
import math
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from analytics.selectors import carriers as scorecard
from catalog.models import Reservation
from customers import tasks as customer_tasks
from customers.models import Notification
from mall.statemachine import IllegalTransition
from orders import tasks
from orders.carriers.adapters import sandbox
from orders.carriers.base import CarrierUnavailable
from orders.exceptions import RefundRefused
from orders.models import (
    LogisticsCase,
    LogisticsCaseChange,
    Order,
    Refund,
    Shipment,
    TrackingEvent,
)
from orders.services import fulfilment, logistics
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.orders.fulfilment_helpers import (
    DAY,
    HOUR,
    calm_carrier,
    mishaps,
    paid_order,
    ship_all,
    two_warehouse_goods,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calm(settings):
    calm_carrier(settings)


@pytest.fixture
def goods(db):
    return two_warehouse_goods(stock=200)


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


def _shipped(goods, *, at, items=None):
    tea, _cup = goods
    order = paid_order(items or [(tea, 1)])
    return order, ship_all(order, now=at)


def _titles(order):
    return list(
        Notification.objects.filter(user=order.user).order_by("pk").values_list("title", flat=True)
    )


class CountingTrack:
    """Wraps the sandbox's ``track`` to count carrier queries and their sizes."""

    def __init__(self, monkeypatch):
        self.calls = []
        original = sandbox.SandboxCarrier.track

        def track(carrier, *, parcels, as_of=None):
            self.calls.append(len(parcels))
            return original(carrier, parcels=parcels, as_of=as_of)

        monkeypatch.setattr(sandbox.SandboxCarrier, "track", track)


# --- Tracked to delivery ----------------------------------------------------------------------


def test_polling_tracks_a_parcel_to_delivery_and_the_order_is_delivered(goods):
    handed_over = timezone.now() - 6 * DAY
    order, [shipment] = _shipped(goods, at=handed_over)
    story = sandbox.timeline(shipment.tracking_number, handed_over)
    assert story[-1].kind == "delivered"

    # Before the collection: nothing yet.
    early = handed_over + datetime.timedelta(minutes=31)
    report = logistics.poll_shipments(now=early)
    assert (report.batches, report.parcels, report.events) == (1, 1, 0)
    # Half-way: the first three events (collected, departed, a hub), still on its way.
    middle = story[2].occurred_at
    assert story[-2].kind == "out_for_delivery" and middle < story[-2].occurred_at
    shipment.refresh_from_db()
    assert shipment.next_poll_at <= middle  # due: the early poll backed off by an hour only
    report = logistics.poll_shipments(now=middle)
    assert (report.parcels, report.events, report.delivered) == (1, 3, 0)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED and shipment.delivered_at is None
    assert order.status == Order.Status.SHIPPED
    assert shipment.last_event_at == middle
    stored = list(shipment.events.order_by("occurred_at", "pk").values_list("event_id", "kind"))
    assert stored == [(event.event_id, event.kind) for event in story[:3]]
    assert [kind for _id, kind in stored] == ["collected", "in_transit", "in_transit"]
    assert _titles(order) == ["Your parcel is on its way"]
    final = story[-1].occurred_at + HOUR
    logistics.poll_shipments(now=final)

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert shipment.delivered_at == story[-1].occurred_at
    assert order.status == Order.Status.DELIVERED and order.delivered_at == shipment.delivered_at
    stored = list(shipment.events.order_by("occurred_at", "pk").values_list("event_id", "kind"))
    assert stored == [(event.event_id, event.kind) for event in story]
    assert _titles(order) == ["Your parcel is on its way", "Your parcel was delivered"]
    delivered = Notification.objects.get(user=order.user, title="Your parcel was delivered")
    assert customer_tasks.email_notification(delivered.pk) is True
    assert mail.outbox[-1].to == [order.user.email] and order.number in mail.outbox[-1].body
    assert not LogisticsCase.objects.exists()
    # Delivered parcels are polled no more.
    assert logistics.poll_shipments(now=final + 30 * DAY).parcels == 0


def test_polling_twice_stores_each_event_once(goods):
    handed_over = timezone.now() - 3 * DAY
    _order, [shipment] = _shipped(goods, at=handed_over)
    story = sandbox.timeline(shipment.tracking_number, handed_over)
    moment = story[3].occurred_at
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=moment)
    first = logistics.poll_shipments(now=moment)
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=moment)
    second = logistics.poll_shipments(now=moment)
    assert (first.events, second.events) == (4, 0) and second.parcels == 1
    assert shipment.events.count() == 4
    # Even when the last run stored events and died before its bookkeeping.
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=moment, last_event_at=None)
    assert logistics.poll_shipments(now=moment).events == 0
    assert TrackingEvent.objects.count() == 4


# --- Batching and backoff ---------------------------------------------------------------------


@pytest.mark.time_machine(MID_MONTH, tick=False)
def test_n_due_shipments_take_ceil_n_over_batch_carrier_queries(goods, monkeypatch, settings):
    # Half a day on the way: due, and not delivered yet (the sandbox takes a day at least),
    # so all of them are still open for the capped run at the end. Handed over two days
    # before, a random share of them (random tracking numbers) arrived at the first poll,
    # and the capped run found only three open parcels where it expects four.
    handed_over = timezone.now() - 12 * HOUR
    tea, cup = goods
    for _ in range(7):
        _shipped(goods, at=handed_over, items=[(tea, 1)])
    not_due = _shipped(goods, at=timezone.now(), items=[(cup, 1)])[1][0]
    counting = CountingTrack(monkeypatch)

    report = logistics.poll_shipments(batch_size=3)

    assert counting.calls == [3, 3, 1] and report.batches == math.ceil(7 / 3)
    assert report.parcels == 7
    not_due.refresh_from_db()
    assert not_due.events.count() == 0 and not_due.next_poll_at > timezone.now()
    # The same run again finds nothing due: every parcel was given its next poll.
    assert logistics.poll_shipments(batch_size=3).batches == 0
    # A cap on queries per run leaves the rest for the next run, oldest due first.
    Shipment.objects.filter(status="shipped").update(next_poll_at=timezone.now() - HOUR)
    counting.calls.clear()
    settings.MALL_LOGISTICS_POLL_MAX_BATCHES = 2
    assert logistics.poll_shipments(batch_size=2).parcels == 4
    assert counting.calls == [2, 2]


def test_the_wait_between_polls_doubles_without_news_and_resets_on_news(goods, settings):
    settings.MALL_LOGISTICS_POLL_MINUTES = 30
    settings.MALL_LOGISTICS_POLL_MAX_MINUTES = 240
    settings.MALL_LOGISTICS_DELAY_HOURS = 48
    handed_over = timezone.now()
    _order, [shipment] = _shipped(goods, at=handed_over)
    story = sandbox.timeline(shipment.tracking_number, handed_over)
    first_scan = story[0].occurred_at
    now = handed_over + datetime.timedelta(minutes=30)
    waits = []
    while now < first_scan:
        logistics.poll_shipments(now=now)
        shipment.refresh_from_db()
        waits.append((shipment.idle_polls, (shipment.next_poll_at - now).total_seconds() / 60))
        now = shipment.next_poll_at
    assert waits[:3] == [(1, 60), (2, 120), (3, 240)][: len(waits[:3])]
    assert all(minutes <= 240 for _idle, minutes in waits)
    logistics.poll_shipments(now=now)  # news: the collection (and maybe more)
    shipment.refresh_from_db()
    latest = max(event.occurred_at for event in story if event.occurred_at <= now)
    assert shipment.idle_polls == 0 and shipment.last_event_at == latest
    assert shipment.next_poll_at == now + datetime.timedelta(minutes=30)


def test_the_next_poll_never_passes_the_moment_a_silence_becomes_a_delay(settings):
    settings.MALL_LOGISTICS_POLL_MINUTES = 30
    settings.MALL_LOGISTICS_POLL_MAX_MINUTES = 720
    settings.MALL_LOGISTICS_DELAY_HOURS = 48
    scanned = timezone.now()
    shipment = Shipment(idle_polls=10, last_event_at=scanned, shipped_at=scanned - DAY)
    assert logistics.next_poll(shipment, scanned) == scanned + 12 * HOUR
    late = scanned + 44 * HOUR
    assert logistics.next_poll(shipment, late) == scanned + datetime.timedelta(hours=48, minutes=1)
    past = scanned + 50 * HOUR  # a delay already: back to the backoff
    assert logistics.next_poll(shipment, past) == past + 12 * HOUR


def test_a_carrier_that_does_not_answer_is_asked_again_later(goods, monkeypatch):
    handed_over = timezone.now() - 2 * DAY
    _order, [shipment] = _shipped(goods, at=handed_over)

    def unavailable(carrier, *, parcels, as_of=None):
        raise CarrierUnavailable("timeout")

    monkeypatch.setattr(sandbox.SandboxCarrier, "track", unavailable)
    report = logistics.poll_shipments()
    assert (report.batches, report.errors, report.events) == (1, 1, 0)
    shipment.refresh_from_db()
    assert shipment.idle_polls == 1 and shipment.next_poll_at > timezone.now()
    assert not TrackingEvent.objects.exists()


# --- Exceptions -------------------------------------------------------------------------------


def test_a_delayed_parcel_opens_exactly_one_case_and_it_closes_when_the_parcel_arrives(
    goods, settings
):
    mishaps(settings, delay=1)
    handed_over = timezone.now() - 10 * DAY
    order, [shipment] = _shipped(goods, at=handed_over)
    story = sandbox.timeline(shipment.tracking_number, handed_over)
    held = next(n for n, event in enumerate(story) if event.kind == "delayed")
    silent_since = story[held - 1].occurred_at

    # Poll through the silence, as the beat job would (every parcel when it is due).
    now = silent_since + HOUR
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=now)
    opened = []
    while now < story[held].occurred_at:
        opened.append(logistics.poll_shipments(now=now).delayed)
        now = Shipment.objects.get(pk=shipment.pk).next_poll_at
    case = LogisticsCase.objects.get()
    assert sum(opened) == 1 and case.kind == LogisticsCase.Kind.DELAYED
    assert case.status == LogisticsCase.Status.OPEN and "48 hours" in case.detail
    assert silent_since + 48 * HOUR <= case.opened_at <= silent_since + 48 * HOUR + 2 * HOUR
    assert _titles(order).count("Your parcel is delayed") == 1
    assert LogisticsCaseChange.objects.get(subject=case).transition == "open"

    logistics.poll_shipments(now=story[-1].occurred_at + HOUR)
    case.refresh_from_db()
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert case.status == LogisticsCase.Status.CLOSED and "arrived after all" in case.resolution
    assert LogisticsCase.objects.count() == 1


def test_an_operator_closing_a_delay_case_is_final_until_the_parcel_speaks_again(goods, settings):
    handed_over = timezone.now() - 4 * DAY
    _order, [shipment] = _shipped(goods, at=handed_over)
    # The carrier says nothing at all about this parcel.
    Shipment.objects.filter(pk=shipment.pk).update(tracking_number="SX1000XXXXXXXXXX")
    logistics.poll_shipments()
    case = LogisticsCase.objects.get()
    logistics.close_case(case=case, actor=None, resolution="carrier says it is on its way")
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=timezone.now())
    assert logistics.poll_shipments().delayed == 0
    assert LogisticsCase.objects.count() == 1


def test_a_lost_parcel_is_recorded_once_with_one_case(goods, settings):
    mishaps(settings, loss=1)
    handed_over = timezone.now() - 12 * DAY
    order, [shipment] = _shipped(goods, at=handed_over)
    logistics.poll_shipments()
    Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=timezone.now())
    assert logistics.poll_shipments().parcels == 0  # lost parcels are not polled
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == Shipment.Status.LOST
    [case] = LogisticsCase.objects.filter(kind=LogisticsCase.Kind.LOST)
    assert case.shipment == shipment and case.status == LogisticsCase.Status.OPEN
    assert order.status == Order.Status.SHIPPED
    assert "Your parcel was lost on the way" in _titles(order)
    # Reported lost again, by hand: still one case.
    logistics.open_case(shipment=shipment, kind=LogisticsCase.Kind.LOST)
    assert LogisticsCase.objects.filter(kind="lost").count() == 1


def test_a_loss_after_a_long_silence_closes_the_delay_case_so_the_order_can_close(goods, operator):
    tea, _cup = goods
    order, [shipment] = _shipped(goods, at=timezone.now() - 3 * DAY, items=[(tea, 1)])
    delayed, _created = logistics.open_case(shipment=shipment, kind=LogisticsCase.Kind.DELAYED)

    lost = logistics.record_loss(shipment=shipment, detail="丢件")

    delayed.refresh_from_db()
    assert delayed.status == LogisticsCase.Status.CLOSED and "reported lost" in delayed.resolution
    logistics.refund_case(case=lost, actor=operator, resolution="丢件退款")
    order.refresh_from_db()
    assert order.status == Order.Status.CLOSED


def test_a_damaged_parcel_is_delivered_and_opens_a_damage_case(goods, settings):
    mishaps(settings, damage=1)
    order, [shipment] = _shipped(goods, at=timezone.now() - 8 * DAY)
    report = logistics.poll_shipments()
    assert (report.delivered, report.damaged) == (1, 1)
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and order.status == Order.Status.DELIVERED
    case = LogisticsCase.objects.get()
    assert case.kind == LogisticsCase.Kind.DAMAGED and "damaged" in case.detail
    # The order does not complete while its damage case is open.
    assert fulfilment.complete_delivered_orders(now=timezone.now() + 30 * DAY) == 0


# --- Resolutions ------------------------------------------------------------------------------


@pytest.fixture
def lost_case(goods, settings):
    mishaps(settings, loss=1)
    tea, _cup = goods
    _order, [_shipment] = _shipped(goods, at=timezone.now() - 12 * DAY, items=[(tea, 2)])
    logistics.poll_shipments()
    mishaps(settings)
    return LogisticsCase.objects.get(kind="lost")


def test_reshipping_sends_new_units_and_counts_goods_and_postage(lost_case, operator, settings):
    settings.MALL_RESHIP_POSTAGE = "12.00"
    shipment = lost_case.shipment
    resolved = logistics.reship_case(
        case=lost_case, actor=operator, resolution="补发", claim_amount="30.00"
    )
    assert resolved.status == LogisticsCase.Status.RESHIPPED
    again = resolved.reshipment
    assert again.replaces == shipment and again.status == Shipment.Status.PICKING
    line = again.lines.get()
    assert line.quantity == 2 and line.reservation.status == Reservation.Status.OPEN
    assert line.reservation != shipment.lines.get().reservation
    assert resolved.cost == Decimal("102.00")  # 2 × 45.00 + 12.00 postage
    assert resolved.recovered == Decimal("30.00")
    assert (resolved.resolved_by, resolved.resolution) == (operator, "补发")
    change = LogisticsCaseChange.objects.filter(subject=resolved).last()
    assert (change.transition, change.to_state, change.actor) == ("reship", "reshipped", operator)
    told = Notification.objects.get(
        user=shipment.order.user, title="We are sending your parcel again"
    )
    assert shipment.number in told.body and again.number in told.body
    for resolve in (logistics.reship_case, logistics.close_case):
        with pytest.raises(IllegalTransition):
            resolve(case=resolved, actor=operator, resolution="again")
    order = shipment.order
    [sent] = ship_all(order)
    logistics.record_delivery(shipment=sent, delivered_at=timezone.now())
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_refunding_pays_once_through_the_payment(lost_case, operator):
    resolved = logistics.refund_case(case=lost_case, actor=operator, resolution="丢件退款")
    refund = resolved.refund
    assert resolved.status == LogisticsCase.Status.REFUNDED
    assert refund.amount == Decimal("90.00") == resolved.cost
    assert refund.idempotency_key == f"logistics-case-{lost_case.pk}"
    assert refund.payment.refunded_amount == Decimal("90.00")
    with pytest.raises(IllegalTransition):
        logistics.refund_case(case=lost_case, actor=operator, resolution="again")
    assert Refund.objects.count() == 1
    order = lost_case.shipment.order
    told = Notification.objects.get(user=order.user, title="We are refunding you for a parcel")
    assert "¥90.00" in told.body and lost_case.shipment.number in told.body
    order.refresh_from_db()
    # Nothing arrived and nothing else is on its way: the order is closed, with the reason.
    assert order.status == Order.Status.CLOSED
    last = order.timeline.order_by("pk").last()
    assert (last.transition, last.from_state, last.actor) == ("close", "shipped", operator)


def test_a_refund_beyond_what_was_paid_is_refused_with_nothing_written(lost_case, operator):
    with pytest.raises(RefundRefused):
        logistics.refund_case(case=lost_case, actor=operator, resolution="退款", amount="10000.00")
    lost_case.refresh_from_db()
    assert lost_case.status == LogisticsCase.Status.OPEN and not Refund.objects.exists()


def test_claiming_records_what_the_carrier_paid(lost_case, operator):
    resolved = logistics.claim_case(case=lost_case, actor=operator, resolution="向快递索赔")
    assert resolved.status == LogisticsCase.Status.CLAIMED
    assert (resolved.cost, resolved.recovered) == (Decimal("90.00"), Decimal("90.00"))
    case2 = logistics.open_case(shipment=lost_case.shipment, kind="damaged")[0]
    partly = logistics.claim_case(
        case=case2, actor=operator, resolution="部分赔付", amount="40.00", cost="90.00"
    )
    assert (partly.cost, partly.recovered) == (Decimal("90.00"), Decimal("40.00"))


def test_closing_needs_a_resolution_and_costs_nothing_by_default(lost_case, operator):
    for bad in ("", "  "):
        with pytest.raises(logistics.LogisticsError):
            logistics.close_case(case=lost_case, actor=operator, resolution=bad)
    with pytest.raises(logistics.LogisticsError):
        logistics.reship_case(case=lost_case, actor=operator, resolution="x", cost="-1")
    with pytest.raises(logistics.LogisticsError):
        logistics.claim_case(case=lost_case, actor=operator, resolution="x", amount="abc")
    lost_case.refresh_from_db()
    assert lost_case.status == LogisticsCase.Status.OPEN
    closed = logistics.close_case(case=lost_case, actor=operator, resolution="顾客已自提")
    assert closed.status == LogisticsCase.Status.CLOSED and closed.cost == Decimal("0.00")
    assert list(closed.history.values_list("transition", flat=True)) == ["open", "close"]


def test_a_claim_the_carrier_refuses_changes_nothing(lost_case, operator):
    Shipment.objects.filter(pk=lost_case.shipment_id).update(tracking_number="SF0001")
    with pytest.raises(logistics.LogisticsError, match="did not accept the claim"):
        logistics.claim_case(case=lost_case, actor=operator, resolution="索赔")
    with pytest.raises(logistics.LogisticsError):
        logistics.reship_case(case=lost_case, actor=operator, resolution="补发", claim_amount="9")
    lost_case.refresh_from_db()
    assert lost_case.status == LogisticsCase.Status.OPEN and lost_case.reshipment is None
    assert Shipment.objects.count() == 1  # the reshipment was rolled back with it


# --- Scorecard --------------------------------------------------------------------------------


def test_the_scorecard_adds_up_known_figures_per_carrier_and_month(
    goods, django_assert_num_queries
):
    tz = timezone.get_current_timezone()
    march = datetime.datetime(2026, 3, 10, 10, tzinfo=tz)
    april = datetime.datetime(2026, 4, 5, 10, tzinfo=tz)
    shipments = [_shipped(goods, at=march)[1][0] for _ in range(4)]
    shipments.append(_shipped(goods, at=april)[1][0])
    promised = datetime.date(2026, 3, 12)
    Shipment.objects.filter(pk__in=[s.pk for s in shipments[:4]]).update(
        estimated_delivery=promised
    )
    # On time (day 2, 12:00 and the promised day), late (day 3), lost.
    on_time, on_the_day, late, lost = shipments[:4]
    for shipment, hours in ((on_time, 26), (on_the_day, 48), (late, 72)):
        logistics.record_delivery(shipment=shipment, delivered_at=march + hours * HOUR)
    case = logistics.record_loss(shipment=lost)
    logistics.claim_case(case=case, actor=None, resolution="索赔", amount="30.00", cost="45.00")
    logistics.open_case(shipment=late, kind="delayed")
    LogisticsCase.objects.filter(kind="delayed").update(cost=Decimal("5.00"))
    Shipment.objects.filter(pk=shipments[4].pk).update(carrier="sandbox")

    with django_assert_num_queries(1):
        rows = list(scorecard.carrier_scorecard())
    april_row, march_row = rows
    assert march_row["month"].date() == datetime.date(2026, 3, 1)
    assert march_row["carrier"] == "sandbox"
    assert (march_row["shipments"], march_row["delivered"], march_row["on_time"]) == (4, 3, 2)
    assert march_row["on_time_rate"] == Decimal("66.7")
    assert march_row["lost"] == 1
    assert march_row["avg_transit"] == datetime.timedelta(hours=(26 + 48 + 72) / 3)
    assert march_row["cases"] == 2 and march_row["exception_rate"] == Decimal("50.0")
    assert (march_row["cost"], march_row["recovered"], march_row["net_cost"]) == (
        Decimal("50.00"),
        Decimal("30.00"),
        Decimal("20.00"),
    )
    assert april_row["shipments"] == 1 and april_row["delivered"] == 0
    assert april_row["on_time_rate"] is None and april_row["cases"] == 0
    assert april_row["net_cost"] == Decimal("0.00")
    only_april = list(
        scorecard.carrier_scorecard(
            since=datetime.date(2026, 4, 1), until=datetime.date(2026, 4, 30)
        )
    )
    assert [row["shipments"] for row in only_april] == [1]
    assert list(scorecard.carrier_scorecard(carrier="sf-express")) == []


# --- Through a real worker --------------------------------------------------------------------


def test_a_celery_worker_polls_parcels_to_delivery_and_a_delayed_one_opens_a_case(
    worker, transactional_db, settings
):
    calm_carrier(settings)
    goods = two_warehouse_goods(stock=20)
    handed_over = timezone.now() - 8 * DAY
    arriving_order, [_arriving] = _shipped(goods, at=handed_over)
    silent_order, [silent] = _shipped(goods, at=handed_over)
    Shipment.objects.filter(pk=silent.pk).update(tracking_number="SX1000UNKNOWN000")

    first = worker.run(tasks.poll_shipments)
    again = worker.run(tasks.poll_shipments)

    assert (first["parcels"], first["delivered"], first["delayed"]) == (2, 1, 1)
    assert again["parcels"] == 0  # both have their next poll later
    arriving_order.refresh_from_db()
    assert arriving_order.status == Order.Status.DELIVERED
    case = LogisticsCase.objects.get()
    assert (case.shipment_id, case.kind) == (silent.pk, LogisticsCase.Kind.DELAYED)
    # The shoppers hear of it (the emails go after commit, through the task).
    assert "Your parcel was delivered" in _titles(arriving_order)
    delayed = Notification.objects.get(user=silent_order.user, title="Your parcel is delayed")
    customer_tasks.email_notification(delayed.pk)
    assert any("delayed" in message.subject for message in mail.outbox)


def test_a_fresh_parcel_is_polled_first_after_minutes_then_on_the_backoff(goods, settings):
    settings.MALL_LOGISTICS_FIRST_POLL_MINUTES = 5
    settings.MALL_LOGISTICS_POLL_MINUTES = 30
    handed_over = timezone.now()
    _order, [shipment] = _shipped(goods, at=handed_over)
    assert shipment.next_poll_at == handed_over + datetime.timedelta(minutes=5)
    story = sandbox.timeline(shipment.tracking_number, handed_over)
    now = handed_over + datetime.timedelta(minutes=5)
    logistics.poll_shipments(now=now)
    shipment.refresh_from_db()
    if any(event.occurred_at <= now for event in story):  # news: the base wait again
        assert shipment.next_poll_at == now + datetime.timedelta(minutes=30)
    else:  # nothing yet: the backoff starts
        assert shipment.idle_polls == 1
        assert shipment.next_poll_at == now + datetime.timedelta(minutes=60)
