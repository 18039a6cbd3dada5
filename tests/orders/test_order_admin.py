"""Operators look orders up in the admin; nobody edits them there."""

import uuid

import pytest
from django.urls import reverse

from orders.services import ordering
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db


def _orders(count):
    category = tea_categories()
    sku = make_listed_product(category=category, prices=("20.00",), stock=100).skus.get()
    placed = []
    for _ in range(count):
        shopper = UserFactory()
        placed.append(
            ordering.place_order(
                user=shopper,
                address=AddressFactory(user=shopper),
                items=[(sku.pk, 2)],
                shipping_method="standard",
                idempotency_key=uuid.uuid4().hex,
            )
        )
    return placed


@pytest.mark.parametrize("count", [2, 20])
def test_operators_find_orders_by_number_and_phone_in_bounded_queries(
    client, count, django_assert_max_num_queries
):
    orders = _orders(count)
    client.force_login(UserFactory(roles=["operator"]))
    with django_assert_max_num_queries(12):
        listed = client.get(reverse("admin:orders_order_changelist"))
    assert listed.context["cl"].result_count == count
    found = client.get(reverse("admin:orders_order_changelist"), {"q": orders[0].number})
    assert [order.pk for order in found.context["cl"].result_list] == [orders[0].pk]
    by_phone = client.get(reverse("admin:orders_order_changelist"), {"q": orders[1].mobile})
    assert [order.pk for order in by_phone.context["cl"].result_list] == [orders[1].pk]
    with django_assert_max_num_queries(14):
        page = client.get(reverse("admin:orders_order_change", args=[orders[0].pk]))
    assert page.status_code == 200 and orders[0].number in page.content.decode()
    edit = client.post(reverse("admin:orders_order_change", args=[orders[0].pk]), {})
    assert edit.status_code == 403


def test_shoppers_and_support_agents_cannot_open_the_order_admin(client):
    order = _orders(1)[0]
    for user in (order.user, UserFactory(roles=["support_agent"])):
        client.force_login(user)
        response = client.get(reverse("admin:orders_order_change", args=[order.pk]))
        assert response.status_code == 302 and "/login/" in response["Location"]
