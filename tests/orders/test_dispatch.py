"""Dispatch deadlines: every parcel of a paid order gets a ship-by time (the warehouse's
days to dispatch after payment, declared holidays not counted), the warehouse lead hears
once before it is missed, the overdue queue lists what missed it, and a late parcel is
on the shopper's timeline and in the carrier scorecard."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from analytics.selectors.carriers import carrier_scorecard
from catalog.models import Holiday, Warehouse
from customers.models import Notification
from orders.exceptions import PackingMismatch
from orders.services import fulfilment
from orders.services.fulfilment import dispatch
from tests.clocks import MID_MONTH, SHANGHAI
from tests.customers.factories import UserFactory
from tests.orders.fulfilment_helpers import (
    HOUR,
    calm_carrier,
    pack,
    paid_order,
    scans_for,
    two_warehouse_goods,
)

pytestmark = pytest.mark.time_machine(MID_MONTH, tick=False)  # Wednesday 17 June, 10:00


@pytest.fixture(autouse=True)
def _calm(settings):
    calm_carrier(settings)
    settings.MALL_DISPATCH_ESCALATE_HOURS = 6


@pytest.fixture
def goods(db):
    return two_warehouse_goods(stock=100)


def at(day, hour=10):
    return datetime.datetime(2026, 6, day, hour, 0, tzinfo=SHANGHAI)


# --- The ship-by time --------------------------------------------------------------------------


def test_ship_by_counts_days_after_the_start_and_skips_declared_holidays(db):
    assert dispatch.ship_by(start=at(17), days=2) == at(19)
    assert dispatch.ship_by(start=at(17), days=0) == at(17)
    # 端午节 on the 19th and 20th: two working days from the 17th end on the 21st... the
    # 18th counts, the 19th and 20th do not, the 21st does.
    Holiday.objects.create(day=datetime.date(2026, 6, 19), name="端午节")
    Holiday.objects.create(day=datetime.date(2026, 6, 20), name="端午节")
    assert dispatch.ship_by(start=at(17), days=2) == at(21)
    # Paid on the eve of the holiday with one day to dispatch: the first working day after.
    assert dispatch.ship_by(start=at(18, 23), days=1) == at(21, 23)


def test_allocation_gives_each_parcel_its_warehouses_deadline_and_says_it_on_the_timeline(
    goods,
):
    tea, cup = goods
    Warehouse.objects.filter(code="gz").update(dispatch_days=3)
    Holiday.objects.create(day=datetime.date(2026, 6, 18), name="调休")
    order = paid_order([(tea, 1), (cup, 1)])
    shipments = fulfilment.allocate_order(order=order)
    deadlines = {s.warehouse.code: timezone.localtime(s.ship_by) for s in shipments}
    assert deadlines == {"hz": at(20), "gz": at(21)}
    started = order.timeline.get(transition="start_fulfilment")
    assert "2026-06-21 10:00" in started.reason  # the latest parcel's time


# --- Escalation and the overdue queue ----------------------------------------------------------


def _allocated(goods, count, warehouse="hz"):
    tea, cup = goods
    sku = tea if warehouse == "hz" else cup
    return [
        shipment
        for _ in range(count)
        for shipment in fulfilment.allocate_order(order=paid_order([(sku, 1)]))
    ]


def test_the_lead_hears_once_per_parcel_before_its_time_and_again_never(goods):
    lead = UserFactory(roles=["warehouse"])
    bystander = UserFactory(roles=["warehouse"])
    Warehouse.objects.filter(code="hz").update(lead=lead)
    [parcel] = _allocated(goods, 1)  # ship by the 19th, 10:00
    assert dispatch.escalate_dispatch_deadlines(now=at(18)) == {"escalated": 0, "overdue": 0}
    first = dispatch.escalate_dispatch_deadlines(now=at(19, 5))  # 5 hours left
    again = dispatch.escalate_dispatch_deadlines(now=at(19, 11))  # late now, told already
    assert first == {"escalated": 1, "overdue": 0}
    assert again == {"escalated": 0, "overdue": 1}
    [note] = Notification.objects.filter(user=lead)
    assert parcel.number in note.title and "must leave soon" in note.title
    assert note.link == reverse("admin:orders_shipment_change", args=[parcel.pk])
    assert not Notification.objects.filter(user=bystander).exists()


def test_without_a_lead_the_warehouse_staff_hear_that_a_parcel_missed_its_time(goods):
    clerks = [UserFactory(roles=["warehouse"]) for _ in range(2)]
    _allocated(goods, 1)
    assert dispatch.escalate_dispatch_deadlines(now=at(20)) == {"escalated": 1, "overdue": 1}
    for clerk in clerks:
        [note] = Notification.objects.filter(user=clerk)
        assert "missed its ship-by time" in note.title


def test_a_parcel_that_left_is_neither_escalated_nor_overdue(goods):
    [parcel] = _allocated(goods, 1)
    pack(parcel)
    fulfilment.ship(shipment=parcel, carrier="sandbox", actor=None, now=at(18))
    assert dispatch.escalate_dispatch_deadlines(now=at(25)) == {"escalated": 0, "overdue": 0}


@pytest.mark.parametrize("count", [2, 12])
def test_the_overdue_queue_lists_late_parcels_in_the_warehouse_in_bounded_queries(
    client, goods, count, django_assert_max_num_queries, settings
):
    settings.MALL_STAFF_IDLE_MINUTES = 3 * 24 * 60  # the test's clock jumps days ahead
    overdue = _allocated(goods, count)  # ship by the 19th
    packed = overdue[0]
    pack(packed)  # packed but not handed over: still the warehouse's
    with time_machine.travel(at(19, 12), tick=False):
        later = _allocated(goods, count, warehouse="gz")  # ship by the 21st
        [left] = _allocated(goods, 1)
        pack(left)
        fulfilment.ship(shipment=left, carrier="sandbox", actor=None)
    clerk = UserFactory(roles=["warehouse"])
    client.force_login(clerk)
    url = reverse("admin:orders_shipment_changelist")
    with time_machine.travel(at(20, 10), tick=False):
        with django_assert_max_num_queries(12):
            response = client.get(url, {"dispatch": "overdue"})
        listed = list(response.context["cl"].result_list)
        soon = client.get(url, {"dispatch": "soon"})
        assert list(soon.context["cl"].result_list) == []
        dispatch_filter = response.context["cl"].filter_specs[0]
        assert dispatch_filter.title == "dispatch"
    assert {s.pk for s in listed} == {s.pk for s in overdue}
    assert [s.ship_by for s in listed] == sorted(s.ship_by for s in listed)
    with time_machine.travel(at(21, 6), tick=False):
        soon = client.get(url, {"dispatch": "soon"})
    assert {s.pk for s in soon.context["cl"].result_list} == {s.pk for s in later}


# --- Leaving late ------------------------------------------------------------------------------


def test_a_late_parcel_is_on_the_timeline_and_in_the_carrier_scorecard(client, goods):
    on_time, late = _allocated(goods, 2)
    for parcel in (on_time, late):
        pack(parcel)
    fulfilment.ship(shipment=on_time, carrier="sandbox", actor=None, now=at(18))
    fulfilment.ship(shipment=late, carrier="sandbox", actor=None, now=at(19, 10) + HOUR)
    note = late.order.timeline.get(transition="dispatched_late")
    assert late.number in note.reason and "2026-06-19 10:00" in note.reason
    assert not on_time.order.timeline.filter(transition="dispatched_late").exists()
    client.force_login(late.order.user)
    page = client.get(reverse("orders:order_detail", args=[late.order.number])).content.decode()
    assert "Left the warehouse late" in page and late.number in page
    [row] = carrier_scorecard()
    assert (row["late_dispatch"], row["late_dispatch_rate"]) == (1, 50)


def test_packing_without_the_condition_check_names_what_is_missing_in_the_clerks_language(goods):
    [parcel] = _allocated(goods, 1)
    with translation.override("zh-hans"), pytest.raises(PackingMismatch) as refused:
        fulfilment.confirm_packing(
            shipment=parcel, items=scans_for(parcel), actor=None, condition={"intact"}
        )
    assert "齐全（配件、说明书和发票已装入）" in str(refused.value)
    assert "已贴标签" in str(refused.value) and "完好" not in str(refused.value)
