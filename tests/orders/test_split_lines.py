"""An order line no warehouse can fill alone: reserved over two warehouses (the nearest
first), shipped in two parcels, cancelled and refunded per part, returned to the
warehouses that sent it, with the ledger and the reconciliation adding up all along."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Reservation, Stock, StockDiscrepancy
from catalog.services import inventory
from customers.models import Notification
from mall.statemachine import IllegalTransition
from orders.exceptions import OrderRefused
from orders.models import Order, OrderLine, Refund, Shipment
from orders.services import fulfilment, ordering
from orders.services.aftersales.inspection import return_warehouses
from orders.services.logistics import tracking
from tests.catalog.factories import (
    StockFactory,
    WarehouseFactory,
    make_listed_product,
    tea_categories,
)
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders import aftersales_helpers as after
from tests.orders.factories import place
from tests.orders.fulfilment_helpers import assert_ledger_adds_up, calm_carrier, pack
from tests.orders.paying import pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def carrier(settings):
    calm_carrier(settings)


@pytest.fixture
def tea(db):
    """龙井, 3 units in Hangzhou and 3 in Guangzhou: the page says 6."""
    hangzhou = WarehouseFactory(code="hz", name="杭州仓", province="浙江省", city="杭州市")
    guangzhou = WarehouseFactory(code="gz", name="广州仓", province="广东省", city="广州市")
    sku = make_listed_product(
        name="龙井", category=tea_categories(), prices=("40.00",), stock=3, warehouse=hangzhou
    ).skus.get()
    StockFactory(sku=sku, warehouse=guangzhou, on_hand=3)
    return sku


def _stocks(sku):
    return list(Stock.objects.filter(sku=sku).order_by("warehouse__code"))  # gz, hz


def _shopper_in(province):
    user = UserFactory()
    return user, AddressFactory(user=user, province=province, city="某市", district="某区")


def _no_drift():
    report = inventory.reconcile_stock()
    assert report["new"] == 0 and not StockDiscrepancy.objects.exists(), report


def test_an_order_for_five_over_two_warehouses_is_reserved_shipped_in_two_parcels(tea):
    gz, hz = _stocks(tea)
    user, address = _shopper_in("广东省")
    order = place(user=user, address=address, items=[(tea, 5)])
    [line] = order.lines.all()
    parts = {r.stock_id: r.quantity for r in line.reservations.all()}
    assert parts == {gz.pk: 3, hz.pk: 2}  # Guangzhou is nearer to a shopper in Guangdong
    assert inventory.available_units(tea) == 1
    pay(order)
    assert not line.reservations.exclude(expires_at=None).exists()  # held until shipped
    shipments = fulfilment.allocate_order(order=order)
    assert sorted((s.warehouse.code, s.lines.get().quantity) for s in shipments) == [
        ("gz", 3),
        ("hz", 2),
    ]
    for shipment in shipments:
        pack(shipment)
        fulfilment.ship(shipment=shipment, carrier="sandbox", actor=None)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert set(line.reservations.values_list("status", flat=True)) == {"consumed"}
    assert [(s.on_hand, s.reserved) for s in _stocks(tea)] == [(0, 0), (1, 0)]
    assert_ledger_adds_up(gz, hz)
    _no_drift()


def test_cancelling_a_split_order_gives_both_parts_back(tea):
    gz, hz = _stocks(tea)
    order = place(items=[(tea, 5)])
    pay(order)
    fulfilment.allocate_order(order=order)
    ordering.cancel_order(order=order, actor=order.user, reason="改主意了")
    assert set(Reservation.objects.values_list("status", flat=True)) == {"released"}
    assert inventory.available_units(tea) == 6
    assert Refund.objects.get().amount == order.total
    assert_ledger_adds_up(gz, hz)
    _no_drift()


def test_one_parcel_is_cancelled_and_refunded_on_its_own(tea, settings):
    gz, hz = _stocks(tea)
    user, address = _shopper_in("广东省")
    order = place(user=user, address=address, items=[(tea, 5)])  # 200.00, free shipping
    pay(order)
    by_code = {s.warehouse.code: s for s in fulfilment.allocate_order(order=order)}
    operator = UserFactory(roles=["operator"])
    refund = fulfilment.cancel_part(shipment=by_code["hz"], actor=operator, reason="货损")
    assert refund.amount == Decimal("80.00")  # the 2 units of Hangzhou's parcel
    assert refund.idempotency_key == f"part-{by_code['hz'].number}"
    by_code["hz"].refresh_from_db()
    assert by_code["hz"].status == Shipment.Status.CANCELLED
    assert [(s.on_hand, s.reserved) for s in _stocks(tea)] == [(3, 3), (3, 0)]
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT
    assert order.timeline.filter(transition="cancel_part").exists()
    notice = Notification.objects.get(user=user, title__contains="cancelled")
    assert "¥80.00" in notice.body
    # The last parcel cannot go alone: that is cancelling the order. Nothing changes.
    with pytest.raises(fulfilment.FulfilmentError, match="last parcel"):
        fulfilment.cancel_part(shipment=by_code["gz"], actor=operator, reason="x")
    with pytest.raises(IllegalTransition):
        fulfilment.cancel_part(shipment=by_code["hz"], actor=operator, reason="again")
    assert Refund.objects.count() == 1
    pack(by_code["gz"])
    fulfilment.ship(shipment=by_code["gz"], carrier="sandbox", actor=None)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert_ledger_adds_up(gz, hz)
    _no_drift()


def test_a_lost_parcel_of_a_split_line_is_refunded_for_its_part(tea):
    from orders.services import logistics

    order = place(items=[(tea, 5)])
    pay(order)
    shipments = fulfilment.allocate_order(order=order)
    for shipment in shipments:
        pack(shipment)
        fulfilment.ship(shipment=shipment, carrier="sandbox", actor=None)
    two = next(s for s in shipments if s.lines.get().quantity == 2)
    tracking.record_loss(shipment=two, detail="丢件")
    case = two.logistics_cases.get()
    logistics.refund_case(case=case, actor=UserFactory(roles=["operator"]), resolution="退款")
    assert Refund.objects.get().amount == Decimal("80.00")


def test_returned_units_go_back_to_the_warehouses_that_sent_them(tea):
    gz, hz = _stocks(tea)
    user, address = _shopper_in("广东省")
    order = place(user=user, address=address, items=[(tea, 5)])
    pay(order)
    now = timezone.now()
    # Guangzhou's parcel of 3 arrives first, Hangzhou's 2 an hour later.
    hours_ago = {"gz": 10, "hz": 9}
    for shipment in fulfilment.allocate_order(order=order):
        pack(shipment)
        fulfilment.ship(shipment=shipment, carrier="sandbox", actor=None)
        at = now - datetime.timedelta(hours=hours_ago[shipment.warehouse.code])
        tracking.record_delivery(shipment=shipment, delivered_at=at)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    line = OrderLine.objects.get(order=order)
    # Newest delivered first (Hangzhou's 2, delivered last), then Guangzhou's 3.
    assert [(w.code, n) for w, n in return_warehouses(line, 4)] == [("hz", 2), ("gz", 2)]
    assert [(w.code, n) for w, n in return_warehouses(line, 2, before=3)] == [("gz", 2)]
    case = after.ask(order, units={line: 4})
    case = after.approved(case)
    case = after.sent_back(case)
    after.inspected(case)
    # Shipped out: Guangzhou 0 left, Hangzhou 1; back: 2 to each.
    assert [(s.on_hand, s.reserved) for s in _stocks(tea)] == [(2, 0), (3, 0)]
    case.refresh_from_db()
    assert case.refund_amount == Decimal("160.00")
    assert_ledger_adds_up(gz, hz)
    _no_drift()


def test_shoppers_racing_for_split_lines_never_oversell(tea, transactional_db):
    # 6 units over two warehouses; 8 shoppers each want 5, two want 1.
    shoppers = [_shopper_in(p) for p in ["广东省", "浙江省"] * 5]
    wants = [5] * 8 + [1, 1]

    def buy(index):
        user, address = shoppers[index]
        return ordering.place_order(
            user=user,
            address=address,
            items=[(tea.pk, wants[index])],
            shipping_method="standard",
            idempotency_key=f"race-{index}",
        )

    placed, refused = race(buy, len(shoppers))
    assert all(isinstance(error, OrderRefused) for error in refused), refused
    units = sum(order.lines.get().quantity for order in placed)
    assert units <= 6 and 6 - units < 5  # never oversold; no 5-unit buyer refused in vain
    for error in refused:
        # What a refused shopper reads is what the page said at that moment: fewer left.
        assert "left" in str(error) or "out of stock" in str(error)
    assert sum(s.reserved for s in _stocks(tea)) == units
    assert_ledger_adds_up(*_stocks(tea))
