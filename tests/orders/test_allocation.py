"""Allocation: a paid order becomes one shipment per warehouse holding its units; a
flagged order waits for its review; replacements reserve new units."""

import pytest

from catalog.models import Reservation
from catalog.services import inventory
from mall.statemachine import IllegalTransition
from orders.models import Order, Shipment
from orders.services import fulfilment
from orders.services import risk_review as review
from tests.catalog.factories import WarehouseFactory, make_listed_product, tea_categories
from tests.customers.factories import UserFactory
from tests.orders.factories import place
from tests.orders.paying import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(db):
    category = tea_categories()
    north = WarehouseFactory(code="north", name="北仓")
    south = WarehouseFactory(code="south", name="南仓")
    tea = make_listed_product(
        name="龙井", category=category, prices=("45.00",), stock=5, warehouse=north
    )
    cup = make_listed_product(
        name="茶杯", category=category, prices=("20.00",), stock=5, warehouse=south
    )
    return tea.skus.get(), cup.skus.get()


def test_a_paid_order_splits_into_one_shipment_per_warehouse(goods):
    tea, cup = goods
    order = place(items=[(tea, 2), (cup, 1)])
    pay(order)
    shipments = fulfilment.allocate_order(order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT
    assert sorted(s.warehouse.code for s in shipments) == ["north", "south"]
    for shipment in shipments:
        [line] = shipment.lines.all()
        assert [line.reservation] == list(line.order_line.reservations.all())
        assert shipment.status == Shipment.Status.PICKING
    with pytest.raises(IllegalTransition):
        fulfilment.allocate_order(order=order)
    assert Shipment.objects.count() == 2


def test_unpaid_and_flagged_orders_are_not_allocated(goods, settings):
    tea, _cup = goods
    unpaid = place(items=[(tea, 1)])
    with pytest.raises(IllegalTransition):
        fulfilment.allocate_order(order=unpaid)
    settings.MALL_REVIEW_MAX_QUANTITY = 1
    flagged = place(items=[(tea, 2)])
    pay(flagged)
    with pytest.raises(fulfilment.FulfilmentError, match="risk review"):
        fulfilment.allocate_order(order=flagged)
    review.approve_review(order=flagged, actor=UserFactory(roles=["operator"]))
    assert len(fulfilment.allocate_order(order=flagged)) == 1


def test_a_replacement_reserves_new_units_or_refuses_with_nothing_written(goods):
    tea, cup = goods
    order = place(items=[(tea, 2), (cup, 1)])
    pay(order)
    [first, _second] = fulfilment.allocate_order(order=order)
    tea_line = order.lines.get(sku=tea)
    [again] = fulfilment.create_replacement(
        order=order, items=[(tea_line, 1)], actor=None, note="lost", replaces=first
    )
    assert again.replaces == first and again.lines.get().reservation.quantity == 1
    assert inventory.available_units(tea) == 2
    inventory.reserve(sku=cup, quantity=4)  # the cups are all spoken for
    open_before = Reservation.objects.filter(status="open").count()
    with pytest.raises(fulfilment.FulfilmentError, match=r"out of stock|Only 0"):
        fulfilment.create_replacement(
            order=order, items=[(tea_line, 2), (order.lines.get(sku=cup), 1)], actor=None, note="x"
        )
    assert inventory.available_units(tea) == 2  # the tea reserved first was given back
    with pytest.raises(fulfilment.FulfilmentError):
        fulfilment.create_replacement(order=order, items=[(tea_line, 3)], actor=None, note="x")
    assert Reservation.objects.filter(status="open").count() == open_before
