"""The back-office home: each role sees the queues it works, with counts that link to them,
in a number of queries that does not grow with the queues."""

import pytest
from django.urls import reverse

from catalog.services import admission
from tests.catalog.conftest import make_ready_product
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


def _queues(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {str(q["label"]): (q["count"], q["url"]) for q in response.context["pending_queues"]}


def test_an_operator_sees_the_goods_others_submitted_and_their_price_approvals(
    client, operator, reviewer, supplier, food, django_assert_max_num_queries
):
    mine = make_ready_product(supplier, food, operator)
    admission.submit_product(product=mine, actor=operator)
    client.force_login(operator)
    assert _queues(client)["Goods to review"][0] == 0  # four eyes: not my own

    for index in range(3):
        theirs = make_ready_product(supplier, food, reviewer, name=f"碧螺春 {index}")
        admission.submit_product(product=theirs, actor=reviewer)
    with django_assert_max_num_queries(25):
        queues = _queues(client)
    count, url = queues["Goods to review"]
    assert count == 3
    assert url == reverse("admin:catalog_product_changelist") + "?approval=mine"
    assert "Price changes awaiting my approval" in queues
    listed = client.get(url)
    assert len(listed.context["cl"].result_list) == 3


def test_a_warehouse_clerk_sees_the_dispatch_queue_not_the_goods_review(client):
    clerk = UserFactory(roles=["warehouse"])
    client.force_login(clerk)
    queues = _queues(client)
    assert "Parcels past their ship-by time" in queues
    assert "Goods to review" not in queues
    assert client.get(queues["Parcels past their ship-by time"][1]).status_code == 200


def test_the_goods_list_shows_picture_price_range_and_free_stock_in_fixed_queries(
    client, django_assert_max_num_queries
):
    from catalog.models import Product
    from tests.catalog.factories import make_listed_product

    operator = UserFactory(roles=["operator"])
    client.force_login(operator)
    make_listed_product(name="龙井", prices=("28089908.25", "99.00"), stock=[3, 4], image=True)
    address = reverse("admin:catalog_product_changelist")
    client.get(address)
    with django_assert_max_num_queries(20) as captured:
        page = client.get(address)
    few = len(captured)
    for index in range(4):
        make_listed_product(name=f"碧螺春 {index}", prices=("10.00",), stock=2, image=True)
    with django_assert_max_num_queries(few):
        page = client.get(address)
    html = page.content.decode()
    assert "¥99.00 – ¥28,089,908.25" in html
    row = next(r for r in page.context["cl"].result_list if r.name == "龙井")
    assert row.free_units == 7 and row.first_thumb
    assert Product.objects.count() == 5
