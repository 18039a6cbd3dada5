"""Checkout and the shopper's order pages: totals line by line, a double submit makes one
order, a moved price is shown before it is charged, and nobody sees another's order."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Category
from catalog.services import inventory, pricing
from orders.models import Order, Refund, TrackingEvent
from orders.services import cart as carts
from orders.services import logistics, payments
from tests.catalog.factories import WarehouseFactory, make_listed_product, tea_categories
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders import paying
from tests.orders.factories import listed_sku, place
from tests.orders.fulfilment_helpers import DAY, calm_carrier, ship_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


def _fill_cart(shopper, sku, quantity):
    carts.add_to_cart(cart=carts.open_cart(user=shopper), sku_id=sku.pk, quantity=quantity)


def _form(page):
    form = page.context["form"]
    return {
        "address": form["address"].value(),
        "shipping_method": form["shipping_method"].value(),
        "idempotency_key": form["idempotency_key"].value(),
        "expected_total": form["expected_total"].value(),
        "invoice_title": "",
        "tax_number": "",
    }


def test_checkout_shows_totals_line_by_line_and_places_one_order(shopper_client, shopper, tea):
    home = AddressFactory(user=shopper, province="浙江省", is_default=True)
    tibet = AddressFactory(user=shopper, province="西藏自治区")
    _fill_cart(shopper, tea, 2)

    page = shopper_client.get(reverse("orders:checkout"))
    body = page.content.decode()
    assert page.context["address"] == home
    assert 'id="shipping-fee">¥10.00' in body and 'id="order-total">¥100.00' in body
    # Another address and express, chosen on the page: totals follow.
    page = shopper_client.get(
        reverse("orders:checkout"), {"address": tibet.pk, "shipping_method": "express"}
    )
    assert 'id="shipping-fee">¥35.00' in page.content.decode()

    data = _form(page)
    first = shopper_client.post(reverse("orders:checkout"), data)
    again = shopper_client.post(reverse("orders:checkout"), data)  # a double click
    order = Order.objects.get()
    assert (
        first["Location"]
        == again["Location"]
        == reverse("orders:order_detail", args=[order.number])
    )
    assert (order.total, order.province, order.shipping_method) == (
        Decimal("125.00"),
        "西藏自治区",
        "express",
    )
    assert inventory.available_units(tea) == 8
    assert not carts.cart_of(user=shopper).lines.exists()


def test_a_price_that_moved_is_shown_before_it_is_charged(shopper_client, shopper, tea):
    AddressFactory(user=shopper)
    _fill_cart(shopper, tea, 1)
    data = _form(shopper_client.get(reverse("orders:checkout")))
    pricing.set_price(sku=tea, amount="49.00", actor=None, reason="调价")

    page = shopper_client.post(reverse("orders:checkout"), data)
    assert page.status_code == 200 and not Order.objects.exists()
    body = page.content.decode()
    assert "The total is now 59.00 instead of 55.00" in body
    assert 'id="order-total">¥59.00' in body
    # Submitting what is now shown places the order.
    resubmitted = shopper_client.post(reverse("orders:checkout"), _form(page))
    assert resubmitted.status_code == 302 and Order.objects.get().total == Decimal("59.00")


def test_bad_checkout_input_is_redisplayed_and_writes_nothing(shopper_client, shopper, tea):
    AddressFactory(user=shopper)
    stranger = AddressFactory()
    _fill_cart(shopper, tea, 1)
    data = _form(shopper_client.get(reverse("orders:checkout")))
    for change, message in [
        ({"address": stranger.pk}, "Choose one of your own addresses."),
        ({"shipping_method": "drone"}, "Select a valid choice"),
        ({"tax_number": "123"}, "A taxpayer ID has 15, 18 or 20"),
        ({"tax_number": "91440300MA5FXXXX0U"}, "A company invoice needs the company"),
    ]:
        page = shopper_client.post(reverse("orders:checkout"), {**data, **change})
        assert page.status_code == 200
        assert message in page.content.decode(), change
    assert not Order.objects.exists()
    assert inventory.available_units(tea) == 10


def test_checkout_sends_back_to_the_cart_while_it_has_problems(shopper_client, shopper, tea):
    AddressFactory(user=shopper)
    assert shopper_client.get(reverse("orders:checkout"))["Location"] == reverse("orders:cart")
    _fill_cart(shopper, tea, 3)
    inventory.reserve(sku=tea, quantity=9)
    response = shopper_client.get(reverse("orders:checkout"))
    assert response["Location"] == reverse("orders:cart")


def test_guests_sign_in_before_checkout(client, tea):
    response = client.get(reverse("orders:checkout"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_shopper_sees_their_orders_and_their_timeline(shopper_client, shopper, tea):
    address = AddressFactory(user=shopper)
    order = place(user=shopper, address=address, items=[(tea, 2)])
    listing = shopper_client.get(reverse("orders:order_list")).content.decode()
    assert order.number in listing and "Awaiting payment" in listing
    page = shopper_client.get(reverse("orders:order_detail", args=[order.number]))
    body = page.content.decode()
    assert 'id="pay"' in body and 'id="cancel"' in body
    assert "Order placed" in body and "¥100.00" in body


def test_a_shopper_cancels_before_paying_and_the_stock_comes_back(shopper_client, shopper, tea):
    order = place(user=shopper, address=AddressFactory(user=shopper), items=[(tea, 4)])
    url = reverse("orders:order_cancel", args=[order.number])
    refused = shopper_client.post(url, {"reason": ""})
    assert refused.status_code == 302
    order.refresh_from_db()
    assert order.status == "pending_payment"
    shopper_client.post(url, {"reason": "买错了"})
    order.refresh_from_db()
    assert order.status == "cancelled" and inventory.available_units(tea) == 10
    body = shopper_client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "买错了" in body and 'id="cancel"' not in body and 'id="pay"' not in body


def test_nobody_sees_or_acts_on_another_shoppers_order(client, tea):
    order = place(items=[(tea, 1)])
    client.force_login(UserFactory())
    for name in ("orders:order_detail",):
        assert client.get(reverse(name, args=[order.number])).status_code == 404
    for name in ("orders:order_cancel", "orders:order_pay"):
        assert client.post(reverse(name, args=[order.number]), {"reason": "x"}).status_code == 404
    assert order.number not in client.get(reverse("orders:order_list")).content.decode()
    order.refresh_from_db()
    assert order.status == "pending_payment" and not order.payments.exists()
    client.logout()
    assert client.get(reverse("orders:order_detail", args=[order.number])).status_code == 302


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def full_order(shopper, size: int) -> Order:
    """An order of ``size`` lines (two warehouses from two lines on: two parcels), paid
    ``size`` times from as many tabs (every payment but one refunded as a double
    payment), its kept payment refunded ``size`` times, shipped and tracked to
    delivery: every part of the order page grows with ``size``. Needs the calm sandbox
    carrier (``fulfilment_helpers.calm_carrier``)."""
    category = Category.objects.filter(slug="tea").first() or tea_categories()
    north = WarehouseFactory(code="hz", name="杭州仓", province="浙江省", city="杭州市")
    south = WarehouseFactory(code="gz", name="广州仓", province="广东省", city="广州市")
    skus = [
        make_listed_product(
            name=f"茶{size}-{n}",
            category=category,
            prices=("10.00",),
            stock=50,
            warehouse=(north, south)[n % 2],
        ).skus.get()
        for n in range(size)
    ]
    address = AddressFactory(user=shopper, province="北京市", city="北京市")
    order = place(user=shopper, address=address, items=[(sku, 1) for sku in skus])
    tabs = []
    for _tab in range(size):
        tabs.append(paying.start(order).payment)
        paying.settle(tabs[-1])  # paid at the sandbox: not closed by the next start
    kept, *doubles = tabs
    paying.notify(kept)
    for payment in doubles:
        paying.notify(payment)  # money of an order paid already: refunded
    for n in range(size):
        payments.refund(
            payment=kept,
            amount="1.00",
            reason=f"退差价 {n}",
            idempotency_key=f"{order.number}-{n}",
            actor=None,
        )
    ship_all(order, now=timezone.now() - 6 * DAY)
    logistics.poll_shipments()
    order.refresh_from_db()
    return order


@pytest.mark.parametrize("count", [1, 15])
def test_the_order_list_runs_a_fixed_number_of_queries(
    shopper_client, shopper, count, django_assert_max_num_queries
):
    address = AddressFactory(user=shopper)
    skus = [listed_sku(price="10.00", stock=50, name=f"茶{n}") for n in range(3)]
    for _ in range(count):
        place(user=shopper, address=address, items=[(sku, 1) for sku in skus])
    with django_assert_max_num_queries(6):
        listing = shopper_client.get(reverse("orders:order_list"))
    assert listing.status_code == 200
    assert len(listing.context["page_obj"].object_list) == min(count, 10)


def test_the_order_page_runs_the_same_queries_for_one_line_or_many(
    shopper_client, shopper, settings, django_assert_max_num_queries
):
    calm_carrier(settings)
    small, large = full_order(shopper, 1), full_order(shopper, 5)
    # What the larger order shows really is more of everything.
    assert (small.lines.count(), large.lines.count()) == (1, 5)
    assert (small.shipments.count(), large.shipments.count()) == (1, 2)
    assert (small.payments.count(), large.payments.count()) == (1, 5)
    refunded = Refund.objects.filter(payment__order=large)
    assert (refunded.count(), refunded.values("payment").distinct().count()) == (9, 5)
    assert small.status == large.status == Order.Status.DELIVERED
    events = TrackingEvent.objects.filter(shipment__order=large).count()
    assert events > TrackingEvent.objects.filter(shipment__order=small).count() > 1
    pages = {o: reverse("orders:order_detail", args=[o.number]) for o in (small, large)}

    with django_assert_max_num_queries(10):  # with the order's discounts by source
        body = shopper_client.get(pages[large]).content.decode()
    assert body.count("write-review-") == 5 and body.count('class="shipment"') == 2
    assert body.count("退差价") == 5 and body.count("second payment is refunded") == 4
    assert body.count("<time") >= events
    assert _queries(shopper_client, pages[small]) == _queries(shopper_client, pages[large])


def test_the_checkout_page_runs_the_same_queries_for_one_line_or_many(
    shopper_client, shopper, django_assert_max_num_queries
):
    AddressFactory(user=shopper)
    skus = [listed_sku(price="10.00", stock=50, name=f"茶{n}") for n in range(6)]
    url = reverse("orders:checkout")
    _fill_cart(shopper, skus[0], 1)
    one_line = _queries(shopper_client, url)
    for sku in skus[1:]:
        _fill_cart(shopper, sku, 2)
    with django_assert_max_num_queries(10):
        page = shopper_client.get(url)
    assert len(page.context["view"].lines) == 6
    assert _queries(shopper_client, url) == one_line
