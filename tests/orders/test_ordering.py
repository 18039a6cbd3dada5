"""Placing orders: atomic, idempotent, never oversold; cancellation and the unpaid-order
timeout give the stock back; totals and shipping fees add up in Decimal."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Reservation, StockMovement
from catalog.services import inventory, pricing
from mall.statemachine import IllegalTransition
from orders import tasks
from orders.exceptions import OrderRefused, TotalChanged
from orders.models import Cart, CartLine, Order, OrderLine
from orders.services import checkout, ordering
from tests.catalog.factories import make_listed_product, tea_categories
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def address(shopper):
    return AddressFactory(user=shopper)


@pytest.fixture
def goods(db):
    """A tea at 45.00 with 10 units and a kettle at 129.00 with 3 units."""
    category = tea_categories()
    tea = make_listed_product(name="龙井", category=category, prices=("45.00",), stock=10)
    kettle = make_listed_product(name="水壶", category=category, prices=("129.00",), stock=3)
    return tea.skus.get(), kettle.skus.get()


def _place(shopper, address, items, key=None, **kwargs):
    return ordering.place_order(
        user=shopper,
        address=address,
        items=[(sku.pk, quantity) for sku, quantity in items],
        shipping_method=kwargs.pop("shipping_method", "standard"),
        idempotency_key=key or uuid.uuid4().hex,
        **kwargs,
    )


def test_an_order_snapshots_its_lines_reserves_stock_and_empties_the_cart(shopper, address, goods):
    tea, kettle = goods
    cart = Cart.objects.create(user=shopper)
    CartLine.objects.create(cart=cart, sku=tea, quantity=2)
    CartLine.objects.create(cart=cart, sku=kettle, quantity=1)

    order = _place(shopper, address, [(tea, 2)], cart=cart)

    assert (order.goods_total, order.shipping_fee, order.total) == (
        Decimal("90.00"),
        Decimal("10.00"),
        Decimal("100.00"),
    )
    [line] = order.lines.all()
    assert (line.product_name, line.sku_code, line.unit_price, line.quantity, line.line_total) == (
        "龙井",
        tea.code,
        Decimal("45.00"),
        2,
        Decimal("90.00"),
    )
    assert line.reservation.status == Reservation.Status.OPEN
    assert line.reservation.reference == order.number
    assert inventory.available_units(tea) == 8
    assert list(cart.lines.values_list("sku_id", flat=True)) == [kettle.pk]
    assert list(order.timeline.values_list("transition", "to_state")) == [
        ("place", "pending_payment")
    ]
    assert order.recipient == address.recipient and order.province == address.province

    # A later price change never rewrites what was sold.
    pricing.set_price(sku=tea, amount="49.00", actor=None, reason="调价")
    line.refresh_from_db()
    assert line.unit_price == Decimal("45.00")


def test_a_repeated_submit_returns_the_same_order(shopper, address, goods):
    tea, _kettle = goods
    first = _place(shopper, address, [(tea, 1)], key="submit-1")
    again = _place(shopper, address, [(tea, 1)], key="submit-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1 and inventory.available_units(tea) == 9
    # The key is the shopper's own: another shopper's identical key is another order.
    other = UserFactory()
    theirs = _place(other, AddressFactory(user=other), [(tea, 1)], key="submit-1")
    assert theirs.pk != first.pk


def test_concurrent_submits_with_one_key_make_one_order(shopper, address, goods, transactional_db):
    tea, _kettle = goods
    results, errors = race(lambda i: _place(shopper, address, [(tea, 2)], key="double-click").pk, 6)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 6
    assert Order.objects.count() == 1
    assert inventory.available_units(tea) == 8


def test_shoppers_racing_for_the_last_units_never_oversell(goods, transactional_db):
    _tea, kettle = goods  # 3 units
    buyers = [UserFactory() for _ in range(12)]
    addresses = {buyer.pk: AddressFactory(user=buyer) for buyer in buyers}
    placed, refused = race(
        lambda i: _place(buyers[i], addresses[buyers[i].pk], [(kettle, 1)]), len(buyers)
    )
    assert all(isinstance(error, OrderRefused) for error in refused), refused
    assert len(placed) == 3 and len(refused) == 9
    assert Order.objects.count() == 3 and OrderLine.objects.count() == 3
    assert inventory.available_units(kettle) == 0


def test_not_enough_stock_refuses_the_whole_order_and_writes_nothing(shopper, address, goods):
    tea, kettle = goods
    movements = StockMovement.objects.count()
    with pytest.raises(OrderRefused, match="Only 3"):
        _place(shopper, address, [(tea, 2), (kettle, 5)])
    assert not Order.objects.exists() and not Reservation.objects.exists()
    assert StockMovement.objects.count() == movements
    assert inventory.available_units(tea) == 10


def test_goods_no_longer_on_sale_and_bad_input_are_refused_with_every_reason(
    shopper, address, goods
):
    tea, kettle = goods
    kettle.product.status = "delisted"
    kettle.product.save(update_fields=["status"])
    with pytest.raises(OrderRefused) as refused:
        _place(shopper, address, [(tea, 1), (kettle, 1)])
    assert "no longer on sale" in str(refused.value)

    stranger_address = AddressFactory()
    with pytest.raises(OrderRefused) as refused:
        _place(shopper, stranger_address, [(tea, 0)], shipping_method="drone")
    assert len(refused.value.problems) == 3
    assert not Order.objects.exists()


def test_a_total_that_moved_since_the_checkout_page_is_refused(shopper, address, goods):
    tea, _kettle = goods
    with pytest.raises(TotalChanged) as changed:
        _place(shopper, address, [(tea, 1)], expected_total=Decimal("50.00"))
    assert (changed.value.expected, changed.value.actual) == (Decimal("50.00"), Decimal("55.00"))
    assert not Order.objects.exists()
    assert _place(shopper, address, [(tea, 1)], expected_total=Decimal("55.00")).total == Decimal(
        "55.00"
    )


def test_shipping_fee_rules(settings):
    fee = checkout.shipping_fee
    assert fee(goods_total=Decimal("98.99"), province="浙江省", method="standard") == Decimal(
        "10.00"
    )
    assert fee(goods_total=Decimal("99.00"), province="浙江省", method="standard") == 0
    assert fee(goods_total=Decimal("500"), province="浙江省", method="express") == Decimal("20.00")
    assert fee(goods_total=Decimal("500"), province="西藏自治区", method="standard") == Decimal(
        "15.00"
    )
    settings.MALL_FREE_SHIPPING_OVER = "200.00"
    assert fee(goods_total=Decimal("150"), province="浙江省", method="standard") == Decimal("10.00")


def test_discounts_plug_in_and_never_take_the_goods_below_zero(shopper, goods):
    tea, _kettle = goods
    lines, problems = checkout.price_lines([(tea.pk, 1)])
    assert problems == []

    def coupon(context):
        return checkout.Pricing(
            discounts=(
                checkout.Discount(source="test:coupon", label="新人券", amount=Decimal("60.00")),
            )
        )

    checkout.register_discount_source(coupon)
    try:
        totals = checkout.compute_totals(lines=lines, province="浙江省", method="standard")
    finally:
        checkout._DISCOUNT_SOURCES.remove(coupon)
    assert (totals.goods_total, totals.discount_total, totals.total) == (
        Decimal("45.00"),
        Decimal("45.00"),
        Decimal("10.00"),
    )


def test_cancelling_gives_the_stock_back_once(shopper, address, goods):
    tea, _kettle = goods
    order = _place(shopper, address, [(tea, 4)])
    with pytest.raises(OrderRefused):
        ordering.cancel_order(order=order, actor=shopper, reason=" ")
    ordering.cancel_order(order=order, actor=shopper, reason="不想要了")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert inventory.available_units(tea) == 10
    assert list(order.timeline.values_list("transition", flat=True)) == ["place", "cancel"]
    with pytest.raises(IllegalTransition):
        ordering.cancel_order(order=order, actor=shopper, reason="again")
    assert inventory.available_units(tea) == 10


def test_unpaid_orders_are_cancelled_after_the_timeout_by_the_job(shopper, address, goods):
    tea, _kettle = goods
    late = _place(shopper, address, [(tea, 3)])
    fresh = _place(shopper, address, [(tea, 1)])
    Order.objects.filter(pk=late.pk).update(pay_by=timezone.now() - datetime.timedelta(minutes=1))

    assert tasks.cancel_unpaid_orders() == 1
    assert tasks.cancel_unpaid_orders() == 0
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.status, fresh.status) == ("cancelled", "pending_payment")
    assert late.timeline.last().transition == "expire"
    assert inventory.available_units(tea) == 9
    assert late.lines.get().reservation.status == Reservation.Status.EXPIRED


def test_prices_paid_in_the_window_bound_the_was_price(shopper, address, goods):
    tea, _kettle = goods
    order = _place(shopper, address, [(tea, 1)])
    # Sold at 39.00 this week (a flash-sale price that never was a list price).
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    OrderLine.objects.filter(order=order).update(unit_price="39.00", line_total="39.00")
    with pytest.raises(Exception, match=r"39\.00") as refused:
        pricing.request_price_change(
            sku=tea, amount="35.00", reference_amount="45.00", actor=shopper, reason="促销"
        )
    assert refused.value.lowest == Decimal("39.00")
    # Unpaid or cancelled orders were not sales.
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    change = pricing.request_price_change(
        sku=tea, amount="40.00", reference_amount="45.00", actor=shopper, reason="促销"
    )
    assert change.status == "applied"
    assert ordering.lowest_prices_sold([]) == {}
