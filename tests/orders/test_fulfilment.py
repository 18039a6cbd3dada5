"""Fulfilment: paid orders are allocated by the job, picked, checked at packing, handed to
a carrier (the reservations are consumed), and the order follows its parcels; delivered
orders complete by themselves unless after-sales is open."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import Reservation, Stock
from catalog.services import inventory
from customers import tasks as customer_tasks
from customers.models import Notification
from mall.statemachine import IllegalTransition, transition
from orders import tasks
from orders.models import (
    ORDER_MACHINE,
    AfterSalesCase,
    LogisticsCase,
    Order,
    OrderStatusChange,
    Refund,
    Shipment,
    ShipmentStatusChange,
)
from orders.selectors import fulfilment as fulfilment_selectors
from orders.services import fulfilment, logistics, ordering
from orders.services import risk_review as review
from tests.concurrency import race
from tests.customers.factories import UserFactory
from tests.orders.factories import place
from tests.orders.fulfilment_helpers import (
    DAY,
    ago,
    assert_ledger_adds_up,
    calm_carrier,
    pack,
    paid_order,
    scans_for,
    ship_all,
    two_warehouse_goods,
)
from tests.orders.paying import pay

CHECKED = fulfilment.CONDITION_CHECKS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calm(settings):
    calm_carrier(settings)


@pytest.fixture
def goods(db):
    return two_warehouse_goods()


@pytest.fixture
def clerk(db):
    return UserFactory(roles=["warehouse"])


def _history(shipment):
    return list(
        ShipmentStatusChange.objects.filter(subject=shipment)
        .order_by("at", "pk")
        .values_list("transition", "from_state", "to_state")
    )


# --- Allocation -------------------------------------------------------------------------------


def test_the_job_allocates_paid_orders_and_leaves_unpaid_and_flagged_ones(goods, settings):
    tea, cup = goods
    paid = paid_order([(tea, 1), (cup, 2)])
    unpaid = place(items=[(tea, 1)])
    settings.MALL_REVIEW_MAX_QUANTITY = 2
    flagged = paid_order([(tea, 3)])
    assert flagged.needs_review

    assert tasks.allocate_paid_orders() == 1
    assert tasks.allocate_paid_orders() == 0  # once
    paid.refresh_from_db()
    assert paid.status == Order.Status.IN_FULFILMENT and paid.shipments.count() == 2
    assert not unpaid.shipments.exists() and not flagged.shipments.exists()

    review.approve_review(order=flagged, actor=UserFactory(roles=["operator"]))
    assert fulfilment.allocate_paid_orders() == 1
    flagged.refresh_from_db()
    assert flagged.status == Order.Status.IN_FULFILMENT


# --- Pick lists -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 12])
def test_a_warehouse_pick_list_has_every_line_to_pick_in_a_fixed_number_of_queries(
    goods, count, django_assert_num_queries
):
    tea, cup = goods
    for _ in range(count):
        fulfilment.allocate_order(order=paid_order([(tea, 1), (cup, 1)]))
    warehouse = tea.stocks.get().warehouse
    with django_assert_num_queries(2):
        lines = list(fulfilment_selectors.pick_list(warehouse=warehouse))
        totals = list(fulfilment_selectors.pick_totals(warehouse=warehouse))
        rows = [
            (
                line.shipment.number,
                line.shipment.order.recipient,
                line.order_line.sku.code,
                line.order_line.sku.barcode,
                line.order_line.product_name,
                line.quantity,
            )
            for line in lines
        ]
    assert len(rows) == count and {row[2:] for row in rows} == {
        (tea.code, "6901234567892", "龙井", 1)
    }
    assert totals == [
        {
            "sku_id": tea.pk,
            "code": tea.code,
            "barcode": "6901234567892",
            "name": "龙井",
            "spec": "",
            "quantity": count,
            "shipments": count,
        }
    ]
    # Packed shipments leave the list.
    pack(lines[0].shipment)
    assert len(fulfilment_selectors.pick_list(warehouse=warehouse)) == count - 1


# --- Packing ----------------------------------------------------------------------------------


def test_packing_refuses_with_every_mismatch_and_changes_nothing(goods, clerk):
    tea, cup = goods
    # Both SKUs in one warehouse: one shipment with two lines.
    cup_stock = cup.stocks.get()
    inventory.transfer_stock(
        sku=cup,
        source=cup_stock.warehouse,
        destination=tea.stocks.get().warehouse,
        quantity=20,
        actor=None,
    )
    [shipment] = fulfilment.allocate_order(order=paid_order([(tea, 2), (cup, 3)]))
    assert shipment.lines.count() == 2

    with pytest.raises(fulfilment.PackingMismatch) as refused:
        fulfilment.confirm_packing(
            shipment=shipment,
            items=[(tea.code.lower(), 1), ("NOPE-1", 2), ("6901234567809", 4)],
            actor=clerk,
            condition=CHECKED,
        )
    problems = refused.value.problems
    assert len(problems) == 3
    assert "NOPE-1 (2) is not in this shipment." in problems
    assert f"{tea.code} 龙井: 2 expected, only 1 packed." in problems
    assert f"{cup.code} 茶杯: 3 expected, 4 packed." in problems

    with pytest.raises(fulfilment.PackingMismatch) as refused:
        fulfilment.confirm_packing(
            shipment=shipment, items=[(cup.code, 3)], actor=clerk, condition=CHECKED
        )
    assert refused.value.problems == [f"{tea.code} 龙井: 2 missing."]
    with pytest.raises(fulfilment.PackingMismatch) as refused:
        fulfilment.confirm_packing(shipment=shipment, items=[], actor=clerk, condition=CHECKED)
    assert "Nothing was scanned." in refused.value.problems
    with pytest.raises(fulfilment.PackingMismatch, match="at least one unit"):
        fulfilment.confirm_packing(
            shipment=shipment,
            items=[*scans_for(shipment), (tea.code, 0)],
            actor=clerk,
            condition=CHECKED,
        )
    # Everything scanned, but the parcel is not labelled yet: it cannot be packed.
    with pytest.raises(fulfilment.PackingMismatch) as refused:
        fulfilment.confirm_packing(
            shipment=shipment,
            items=scans_for(shipment),
            actor=clerk,
            condition={"intact", "complete"},
        )
    assert refused.value.problems == [
        "The parcel cannot leave before its condition is checked: labelled (shipping label "
        "and order number on the box)."
    ]
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PICKING and shipment.packed_at is None

    # Scanned one by one (barcodes, any order) and typed (code, units): it adds up.
    packed = fulfilment.confirm_packing(
        shipment=shipment,
        items=[("6901234567892", 1), ("6901234567809", 1), (cup.code.lower(), 2), (tea.code, 1)],
        actor=clerk,
        condition=CHECKED,
    )
    assert packed.status == Shipment.Status.PACKED and packed.packed_by == clerk
    assert (packed.intact, packed.complete, packed.labelled) == (True, True, True)
    assert _history(shipment)[-1] == ("pack", "picking", "packed")
    with pytest.raises(IllegalTransition):
        fulfilment.confirm_packing(
            shipment=shipment, items=scans_for(shipment), actor=clerk, condition=CHECKED
        )


# --- Shipping ---------------------------------------------------------------------------------


def test_shipping_consumes_the_reservations_and_tells_the_shopper(goods, clerk):
    tea, cup = goods
    order = paid_order([(tea, 2), (cup, 1)])
    tea_stock, cup_stock = tea.stocks.get(), cup.stocks.get()
    [north, south] = fulfilment.allocate_order(order=order)
    assert (tea_stock.on_hand, Stock.objects.get(pk=tea_stock.pk).reserved) == (20, 2)
    with pytest.raises(IllegalTransition):
        fulfilment.ship(shipment=north, carrier="sandbox", actor=clerk)  # not packed
    pack(north, clerk)

    shipped = fulfilment.ship(shipment=north, carrier="sandbox", actor=clerk)

    tea_stock.refresh_from_db()
    assert (tea_stock.on_hand, tea_stock.reserved) == (18, 0)
    assert_ledger_adds_up(tea_stock, cup_stock)
    line = north.lines.get()
    assert line.reservation.status == Reservation.Status.CONSUMED
    assert shipped.status == Shipment.Status.SHIPPED and shipped.shipped_by == clerk
    assert shipped.tracking_number.startswith("SX10")  # Hangzhou's hub ...
    assert shipped.tracking_number[4:6] == "00"  # ... to Beijing's
    assert shipped.estimated_delivery > shipped.shipped_at.date()
    # A fresh parcel is polled soon (then less often while nothing happens).
    first_poll = datetime.timedelta(minutes=settings.MALL_LOGISTICS_FIRST_POLL_MINUTES)
    assert shipped.next_poll_at == shipped.shipped_at + first_poll
    assert _history(north)[-1] == ("ship", "packed", "shipped")
    # The other parcel is still in the warehouse: the order waits.
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT
    notice = Notification.objects.get(user=order.user)
    assert shipped.tracking_number in notice.body and notice.link == f"/orders/{order.number}/"
    assert customer_tasks.email_notification(notice.pk) is True
    [email] = mail.outbox
    assert email.to == [order.user.email] and "on its way" in email.subject

    pack(south, clerk)
    fulfilment.ship(shipment=south, carrier="sandbox", actor=clerk)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.timeline.last().transition == "ship"
    cup_stock.refresh_from_db()
    assert (cup_stock.on_hand, cup_stock.reserved) == (19, 0)
    assert_ledger_adds_up(tea_stock, cup_stock)
    with pytest.raises(IllegalTransition):
        fulfilment.ship(shipment=south, carrier="sandbox", actor=clerk)


def test_shipping_with_a_carrier_not_switched_on_is_refused_with_nothing_changed(
    goods, clerk, settings
):
    tea, _cup = goods
    order = paid_order([(tea, 1)])
    [shipment] = fulfilment.allocate_order(order=order)
    pack(shipment, clerk)
    with pytest.raises(fulfilment.FulfilmentError, match="not available"):
        fulfilment.ship(shipment=shipment, carrier="sf-express", actor=clerk)
    settings.MALL_CARRIERS = []
    with pytest.raises(fulfilment.FulfilmentError, match="not available"):
        fulfilment.ship(shipment=shipment, carrier="sandbox", actor=clerk)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED and shipment.tracking_number == ""
    assert tea.stocks.get().reserved == 1


def test_a_shipment_whose_units_are_no_longer_reserved_cannot_leave(goods, clerk):
    tea, _cup = goods
    order = paid_order([(tea, 1)])
    [shipment] = fulfilment.allocate_order(order=order)
    pack(shipment, clerk)
    inventory.release(reservation=shipment.lines.get().reservation, reason="test")
    with pytest.raises(fulfilment.FulfilmentError, match="no longer reserved"):
        fulfilment.ship(shipment=shipment, carrier="sandbox", actor=clerk)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKED and not Notification.objects.exists()


def test_cancelling_a_shipment_in_the_warehouse_gives_its_units_back(goods, clerk):
    tea, cup = goods
    order = paid_order([(tea, 2), (cup, 1)])
    [north, south] = fulfilment.allocate_order(order=order)
    [extra] = fulfilment.create_replacement(
        order=order, items=[(north.lines.get().order_line, 1)], actor=None, note="spare"
    )
    assert tea.stocks.get().reserved == 3
    with pytest.raises(fulfilment.FulfilmentError):
        fulfilment.cancel_shipment(shipment=extra, actor=clerk, reason=" ")
    fulfilment.cancel_shipment(shipment=extra, actor=clerk, reason="not needed")
    assert tea.stocks.get().reserved == 2
    assert _history(extra)[-1] == ("cancel", "picking", "cancelled")
    with pytest.raises(IllegalTransition):
        fulfilment.cancel_shipment(shipment=extra, actor=clerk, reason="again")

    pack(north, clerk)
    fulfilment.cancel_shipment(shipment=north, actor=clerk, reason="send from elsewhere")
    assert tea.stocks.get().reserved == 0
    assert_ledger_adds_up(tea.stocks.get())
    ship_all(order)
    order.refresh_from_db()
    # The cancelled parcels do not count: the cups left, so the order is shipped.
    assert order.status == Order.Status.SHIPPED
    south.refresh_from_db()
    with pytest.raises(IllegalTransition):
        fulfilment.cancel_shipment(shipment=south, actor=clerk, reason="too late")


def test_every_shipment_transition_is_recorded_and_illegal_ones_refused(goods, clerk):
    tea, _cup = goods
    delivered_order, lost_order = paid_order([(tea, 1)]), paid_order([(tea, 1)])
    [delivered] = ship_all(delivered_order, actor=clerk)
    [lost] = ship_all(lost_order, actor=clerk)

    logistics.record_delivery(shipment=delivered, delivered_at=ago(hours=1))
    logistics.record_loss(shipment=lost, detail="丢件")

    assert [t for t, _f, _to in _history(delivered)] == ["open", "pack", "ship", "deliver"]
    assert [t for t, _f, _to in _history(lost)] == ["open", "pack", "ship", "lose"]
    for shipment in (delivered, lost):
        for step in (
            lambda s: logistics.record_delivery(shipment=s, delivered_at=ago(hours=1)),
            lambda s: logistics.record_loss(shipment=s),
            lambda s: fulfilment.cancel_shipment(shipment=s, actor=clerk, reason="x"),
            lambda s: fulfilment.confirm_packing(
                shipment=s, items=scans_for(s), actor=clerk, condition=CHECKED
            ),
            lambda s: fulfilment.ship(shipment=s, carrier="sandbox", actor=clerk),
        ):
            with pytest.raises(IllegalTransition):
                step(shipment)
    [waiting] = fulfilment.allocate_order(order=paid_order([(tea, 1)]))
    for step in (
        lambda s: logistics.record_delivery(shipment=s, delivered_at=ago(hours=1)),
        lambda s: logistics.record_loss(shipment=s),
    ):
        with pytest.raises(IllegalTransition):
            step(waiting)


# --- Cancelling before shipment --------------------------------------------------------------


def test_a_shopper_cancels_in_fulfilment_while_every_parcel_is_in_the_warehouse(
    goods, clerk, client
):
    tea, cup = goods
    order = paid_order([(tea, 2), (cup, 1)])
    north, south = fulfilment.allocate_order(order=order)
    pack(north, clerk)
    assert (tea.stocks.get().reserved, cup.stocks.get().reserved) == (2, 1)
    client.force_login(order.user)
    page = client.get(reverse("orders:order_detail", args=[order.number])).text
    assert 'id="cancel-form"' in page

    client.post(reverse("orders:order_cancel", args=[order.number]), {"reason": "买错了"})

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.timeline.order_by("pk").last().from_state == "in_fulfilment"
    for shipment in (north, south):
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.CANCELLED
        assert "the order was cancelled: 买错了" in shipment.history.order_by("pk").last().reason
    assert not fulfilment_selectors.pick_list(warehouse=north.warehouse).exists()
    assert (tea.stocks.get().reserved, cup.stocks.get().reserved) == (0, 0)
    assert_ledger_adds_up(tea.stocks.get(), cup.stocks.get())
    [refund] = Refund.objects.all()
    assert refund.amount == order.total
    # A clerk who still has the parcel in hand cannot send it.
    with pytest.raises(IllegalTransition):
        fulfilment.ship(shipment=north, carrier="sandbox", actor=clerk)


def test_once_a_parcel_has_left_the_order_can_no_longer_be_cancelled(goods, clerk, client):
    tea, cup = goods
    order = paid_order([(tea, 1), (cup, 1)])
    north, south = fulfilment.allocate_order(order=order)
    pack(north, clerk)
    fulfilment.ship(shipment=north, carrier="sandbox", actor=clerk)
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT  # the cups are still in Guangzhou

    with pytest.raises(fulfilment.FulfilmentError, match=north.number):
        ordering.cancel_order(order=order, actor=order.user, reason="不要了")

    order.refresh_from_db()
    south.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT
    assert south.status == Shipment.Status.PICKING and cup.stocks.get().reserved == 1
    assert not Refund.objects.exists()
    client.force_login(order.user)
    page = client.get(reverse("orders:order_detail", args=[order.number])).text
    assert 'id="cancel-form"' not in page
    api = APIClient()
    api.force_authenticate(order.user)
    refused = api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "x"}, format="json")
    assert refused.status_code == 409 and north.number in refused.json()["detail"]


def test_a_cancel_and_a_shipment_at_once_end_in_exactly_one_of_them(transactional_db, settings):
    calm_carrier(settings)
    tea, _cup = two_warehouse_goods()
    clerk = UserFactory(roles=["warehouse"])
    outcomes = []
    for _round in range(4):
        order = paid_order([(tea, 1)])
        [shipment] = fulfilment.allocate_order(order=order)
        pack(shipment, clerk)

        def cancel_or_send(index, order=order, shipment=shipment):
            if index == 0:
                try:
                    ordering.cancel_order(order=order, actor=order.user, reason="不要了")
                except (fulfilment.FulfilmentError, IllegalTransition):  # shipped: too late
                    return "cancel", "refused"
                return "cancel", "done"
            try:
                fulfilment.ship(shipment=shipment, carrier="sandbox", actor=clerk)
            except IllegalTransition:
                return "ship", "refused"
            return "ship", "done"

        done, errors = race(cancel_or_send, 2)

        assert errors == []
        results = dict(done)
        assert sorted(results.values()) == ["done", "refused"]
        order.refresh_from_db()
        shipment.refresh_from_db()
        if results["cancel"] == "done":
            assert (order.status, shipment.status) == ("cancelled", "cancelled")
            assert Refund.objects.filter(payment__order=order).count() == 1
        else:
            assert (order.status, shipment.status) == ("shipped", "shipped")
            assert not Refund.objects.filter(payment__order=order).exists()
        outcomes.append(results["cancel"])
    assert_ledger_adds_up(tea.stocks.get())
    stock = tea.stocks.get()
    assert stock.reserved == 0 and stock.on_hand == 20 - outcomes.count("refused")


# --- The order follows its parcels ------------------------------------------------------------


def test_a_split_order_is_delivered_when_its_last_parcel_arrives(goods):
    tea, cup = goods
    order = paid_order([(tea, 1), (cup, 1)])
    north, south = ship_all(order)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    logistics.record_delivery(shipment=north, delivered_at=ago(hours=30))
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.delivered_at is None
    last = ago(hours=2)
    logistics.record_delivery(shipment=south, delivered_at=last)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.delivered_at == last
    assert list(order.timeline.values_list("transition", flat=True))[-3:] == [
        "start_fulfilment",
        "ship",
        "deliver",
    ]
    titles = list(Notification.objects.filter(user=order.user).values_list("title", flat=True))
    assert titles.count("Your parcel was delivered") == 2


def test_a_lost_parcel_holds_the_order_until_its_case_is_resolved(goods):
    tea, cup = goods
    order = paid_order([(tea, 1), (cup, 1)])
    north, south = ship_all(order)
    logistics.record_delivery(shipment=north, delivered_at=ago(hours=3))
    case = logistics.record_loss(shipment=south, detail="丢件")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED  # the lost parcel waits for a decision
    logistics.refund_case(case=case, actor=UserFactory(roles=["operator"]), resolution="退款")
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.delivered_at == Shipment.objects.get(pk=north.pk).delivered_at


def test_an_order_whose_every_parcel_was_lost_closes_once_the_last_case_is_resolved(goods, client):
    tea, cup = goods
    operator = UserFactory(roles=["operator"])
    order = paid_order([(tea, 1), (cup, 1)])
    north, south = ship_all(order)
    north_case = logistics.record_loss(shipment=north, detail="丢件")
    south_case = logistics.record_loss(shipment=south, detail="丢件")
    logistics.refund_case(case=north_case, actor=operator, resolution="退款")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED  # the other parcel still waits for a decision

    logistics.claim_case(case=south_case, actor=operator, resolution="向快递索赔")
    order.refresh_from_db()
    assert order.status == Order.Status.CLOSED and order.delivered_at is None
    last = order.timeline.order_by("pk").last()
    assert (last.transition, last.from_state, last.to_state) == ("close", "shipped", "closed")
    # Closed is final: never completed by the job, no after-sales on goods that never came.
    assert fulfilment.complete_delivered_orders(now=ago(days=-60)) == 0
    with pytest.raises(IllegalTransition):
        transition(order, ORDER_MACHINE, "deliver", history=OrderStatusChange)
    client.force_login(order.user)
    page = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert 'class="badge status-closed"' in page
    assert "<strong>Closed</strong> — nothing arrived" in page
    assert "every parcel was lost and its case is resolved" in page


# --- Completion -------------------------------------------------------------------------------


def _delivered(goods, days_ago):
    tea, _cup = goods
    order = paid_order([(tea, 1)])
    [shipment] = ship_all(order, now=ago(days=days_ago + 2))
    logistics.record_delivery(shipment=shipment, delivered_at=ago(days=days_ago))
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    return order


def test_delivered_orders_complete_after_the_configured_days_unless_after_sales_is_open(
    goods, settings
):
    settings.MALL_AUTO_COMPLETE_DAYS = 7
    old, recent = _delivered(goods, 8), _delivered(goods, 3)
    with_after_sales = _delivered(goods, 9)
    case = AfterSalesCase.objects.create(
        number="AS1",
        order=with_after_sales,
        user=with_after_sales.user,
        kind=AfterSalesCase.Kind.RETURN,
        reason=AfterSalesCase.Reason.QUALITY,
    )
    with_exception = _delivered(goods, 10)
    logistics.open_case(
        shipment=with_exception.shipments.get(), kind=LogisticsCase.Kind.DAMAGED, detail="破损"
    )

    assert tasks.complete_delivered_orders() == 1
    assert fulfilment.complete_delivered_orders() == 0
    statuses = {
        o.pk: o.status
        for o in Order.objects.filter(pk__in=[old.pk, recent.pk, with_after_sales.pk])
    }
    assert statuses == {
        old.pk: Order.Status.COMPLETED,
        recent.pk: Order.Status.DELIVERED,
        with_after_sales.pk: Order.Status.DELIVERED,
    }
    assert old.timeline.last().transition == "complete" and old.timeline.last().actor is None

    for status in ("approved", "in_transit", "received"):
        AfterSalesCase.objects.filter(pk=case.pk).update(status=status)
        assert fulfilment.complete_delivered_orders() == 0
    AfterSalesCase.objects.filter(pk=case.pk).update(status="closed")
    assert fulfilment.complete_delivered_orders() == 1
    later = datetime.datetime.now(datetime.UTC) + 5 * DAY
    assert fulfilment.complete_delivered_orders(now=later) == 1  # the recent one
    with_exception.refresh_from_db()
    assert with_exception.status == Order.Status.DELIVERED
    with pytest.raises(IllegalTransition):
        fulfilment.allocate_order(order=old)


def test_a_reshipment_on_its_way_keeps_a_delivered_order_open(goods):
    order = _delivered(goods, 10)
    shipment = order.shipments.get()
    case, _created = logistics.open_case(shipment=shipment, kind=LogisticsCase.Kind.DAMAGED)
    logistics.reship_case(case=case, actor=None, resolution="补发")
    assert fulfilment.complete_delivered_orders() == 0
    [again] = ship_all(order)
    assert fulfilment.complete_delivered_orders() == 0
    logistics.record_delivery(shipment=again, delivered_at=ago(days=8))
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED  # a replacement does not move it back
    assert fulfilment.complete_delivered_orders() == 1


def test_payment_and_allocation_of_one_order_by_two_runs_make_one_set_of_shipments(goods):
    tea, _cup = goods
    order = place(items=[(tea, 1)])
    pay(order)
    assert fulfilment.allocate_paid_orders() == 1
    assert fulfilment.allocate_paid_orders() == 0
    assert Shipment.objects.filter(order=order).count() == 1
