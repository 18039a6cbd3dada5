"""The order centre: tabs with counts, 确认收货 (confirm receipt) and 再次购买 (buy again)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalog.models import ProductReview
from catalog.services import inventory
from mall.statemachine import IllegalTransition
from orders.models import CartLine, Order
from orders.services import fulfilment
from orders.services.aftersales import rules
from tests.customers.factories import UserFactory
from tests.orders.aftersales_helpers import ask, delivered
from tests.orders.factories import listed_sku, place
from tests.orders.paying import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


def shipped(order: Order) -> Order:
    """A paid order whose parcels left (the warehouse steps are tested elsewhere)."""
    Order.objects.filter(pk=order.pk).update(status=Order.Status.SHIPPED)
    order.refresh_from_db()
    return order


def test_each_tab_counts_and_lists_its_orders(shopper, shopper_client):
    sku = listed_sku(stock=50)
    place(user=shopper, items=[(sku, 1)])  # to pay
    paid = place(user=shopper, items=[(sku, 1)])
    pay(paid)  # to ship
    pay(on_way := place(user=shopper, items=[(sku, 1)]))
    shipped(on_way)  # to receive
    pay(arrived := place(user=shopper, items=[(sku, 1)]))
    delivered(arrived)  # to review, and after-sales once asked
    ask(arrived)
    pay(reviewed := place(user=shopper, items=[(sku, 1)]))
    delivered(reviewed)
    line = reviewed.lines.get()
    ProductReview.objects.create(
        product_id=sku.product_id, sku=sku, user=shopper, order_line_id=line.pk, rating=5
    )
    place(items=[(sku, 1)])  # someone else's

    page = shopper_client.get(reverse("orders:order_list"))
    counts = {tab["key"]: tab["count"] for tab in page.context["tabs"]}
    assert counts == {
        "all": 5,
        "to_pay": 1,
        "to_ship": 1,
        "to_receive": 1,
        "to_review": 1,
        "after_sales": 1,
    }
    listed = shopper_client.get(reverse("orders:order_list"), {"tab": "to_receive"})
    assert [o.number for o in listed.context["page_obj"]] == [on_way.number]
    # An unknown tab shows everything rather than failing.
    assert len(shopper_client.get("/orders/?tab=nonsense").context["page_obj"]) == 5


def test_the_order_centre_runs_a_fixed_number_of_queries(
    shopper, shopper_client, django_assert_max_num_queries
):
    sku = listed_sku(stock=50)
    for count in (1, 8):
        while Order.objects.filter(user=shopper).count() < count:
            pay(order := place(user=shopper, items=[(sku, 1)]))
            delivered(order)
        with django_assert_max_num_queries(7):
            page = shopper_client.get(reverse("orders:order_list"), {"tab": "to_review"})
        assert page.status_code == 200


def test_confirming_receipt_delivers_the_order_and_starts_the_after_sales_clock(
    shopper, shopper_client
):
    order = shipped(pay(place(user=shopper, items=[(listed_sku(), 1)])).order)
    before = timezone.now()
    response = shopper_client.post(reverse("orders:order_confirm_receipt", args=[order.number]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert before <= order.delivered_at <= timezone.now()
    step = order.timeline.latest("pk")
    assert (step.transition, step.actor) == ("deliver", shopper)
    # The no-reason return window counts from today, as after a carrier's delivery.
    deadline = rules.claim_deadline(order, kind="return", reason="no_reason")
    assert deadline == timezone.localdate(order.delivered_at) + datetime.timedelta(
        days=settings.MALL_NO_REASON_RETURN_DAYS
    )


def test_receipt_cannot_be_confirmed_before_shipping_nor_twice_nor_by_another(
    shopper, shopper_client, client
):
    order = pay(place(user=shopper, items=[(listed_sku(), 1)])).order
    with pytest.raises(IllegalTransition):
        fulfilment.confirm_receipt(order=order, actor=shopper)
    shopper_client.post(reverse("orders:order_confirm_receipt", args=[order.number]))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.delivered_at is None

    shipped(order)
    client.force_login(UserFactory())
    other = client.post(reverse("orders:order_confirm_receipt", args=[order.number]))
    assert other.status_code == 404
    fulfilment.confirm_receipt(order=order, actor=shopper)
    with pytest.raises(IllegalTransition):
        fulfilment.confirm_receipt(order=order, actor=shopper)
    assert order.timeline.filter(transition="deliver").count() == 1


def test_buy_again_puts_the_lines_back_and_names_those_that_cannot_be(shopper, shopper_client):
    tea, cup = listed_sku(stock=5), listed_sku(stock=1, name="茶杯")
    order = place(user=shopper, items=[(tea, 2), (cup, 1)])
    # The cup sold out meanwhile (this order holds the only one).
    response = shopper_client.post(
        reverse("orders:order_buy_again", args=[order.number]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("orders:cart")
    lines = {line.sku_id: line.quantity for line in CartLine.objects.filter(cart__user=shopper)}
    assert lines == {tea.pk: 2}
    texts = [str(m) for m in response.context["messages"]]
    assert any("茶杯" in text for text in texts)
    assert inventory.available_units(tea) == 3  # the cart reserves nothing
    assert shopper_client.cookies["mall_cart_count"].value == "2"
