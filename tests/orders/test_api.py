"""The cart, checkout and order API: validation with field errors, an idempotent order
per Idempotency-Key, 404 for anyone else's order, bounded queries, and the schema."""

import psycopg2
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.services import inventory, pricing
from orders.models import Order
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders.factories import listed_sku, place
from tests.orders.fulfilment_helpers import calm_carrier
from tests.orders.test_checkout_pages import full_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def api(shopper):
    client = APIClient()
    client.force_authenticate(shopper)
    return client


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


def test_the_cart_api_adds_changes_and_removes_lines(api, tea):
    added = api.post("/api/v1/cart/lines/", {"sku": tea.pk, "quantity": 2}, format="json")
    assert added.status_code == 201
    assert added.json()["lines"][0]["quantity"] == 2
    assert added.json()["goods_total"] == "90.00"
    changed = api.patch(f"/api/v1/cart/lines/{tea.pk}/", {"quantity": 3}, format="json")
    assert changed.json()["lines"][0]["line_total"] == "135.00"

    pricing.set_price(sku=tea, amount="49.00", actor=None, reason="调价")
    line = api.get("/api/v1/cart/").json()["lines"][0]
    assert (line["price_changed"], line["price_seen"], line["unit_price"]) == (
        True,
        "45.00",
        "49.00",
    )
    assert api.get("/api/v1/cart/").json()["lines"][0]["price_changed"] is False

    assert api.delete(f"/api/v1/cart/lines/{tea.pk}/").status_code == 204
    assert api.delete(f"/api/v1/cart/lines/{tea.pk}/").status_code == 404
    assert api.get("/api/v1/cart/").json()["lines"] == []


def test_bad_cart_input_gets_field_errors(api, tea):
    response = api.post("/api/v1/cart/lines/", {"sku": "x", "quantity": 0}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"sku", "quantity"}
    response = api.post("/api/v1/cart/lines/", {"sku": tea.pk, "quantity": 11}, format="json")
    assert response.status_code == 400 and "Only 10" in response.json()["detail"]
    response = api.post("/api/v1/cart/lines/", {"sku": 999999}, format="json")
    assert response.status_code == 400 and "no longer on sale" in response.json()["detail"]


def test_checkout_quote_and_an_idempotent_order(api, shopper, tea):
    address = AddressFactory(user=shopper, province="青海省")
    api.post("/api/v1/cart/lines/", {"sku": tea.pk, "quantity": 2}, format="json")
    quote = api.post(
        "/api/v1/checkout/quote/",
        {"address": address.pk, "shipping_method": "standard"},
        format="json",
    ).json()
    assert (quote["goods_total"], quote["shipping_fee"], quote["total"]) == (
        "90.00",
        "25.00",
        "115.00",
    )

    body = {"address": address.pk, "expected_total": quote["total"]}
    missing_key = api.post("/api/v1/orders/", body, format="json")
    assert missing_key.status_code == 400 and "Idempotency-Key" in missing_key.json()
    first = api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert first.json()["timeline"][0]["transition"] == "place"
    assert Order.objects.count() == 1 and inventory.available_units(tea) == 8
    assert api.get("/api/v1/cart/").json()["lines"] == []


def test_placing_refuses_moved_totals_strangers_addresses_and_an_empty_cart(api, shopper, tea):
    address = AddressFactory(user=shopper)
    api.post("/api/v1/cart/lines/", {"sku": tea.pk, "quantity": 1}, format="json")
    moved = api.post(
        "/api/v1/orders/",
        {"address": address.pk, "expected_total": "50.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert moved.status_code == 409 and moved.json()["actual"] == "55.00"
    stranger = api.post(
        "/api/v1/orders/",
        {"address": AddressFactory().pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert stranger.status_code == 400 and "address" in stranger.json()
    bad_tax = api.post(
        "/api/v1/orders/",
        {"address": address.pk, "tax_number": "12", "shipping_method": "drone"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-4",
    )
    assert bad_tax.status_code == 400 and {"tax_number", "shipping_method"} <= set(bad_tax.json())
    inventory.reserve(sku=tea, quantity=10)
    short = api.post(
        "/api/v1/orders/", {"address": address.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-5"
    )
    assert short.status_code == 400 and "out of stock" in short.json()["problems"][0]
    assert not Order.objects.exists()


def test_orders_are_the_shoppers_own(api, shopper, tea):
    mine = place(user=shopper, address=AddressFactory(user=shopper), items=[(tea, 1)])
    theirs = place(items=[(tea, 1)])
    listed = api.get("/api/v1/orders/").json()
    assert [order["number"] for order in listed["results"]] == [mine.number]
    assert api.get(f"/api/v1/orders/{mine.number}/").status_code == 200
    for method, path in [
        ("get", f"/api/v1/orders/{theirs.number}/"),
        ("post", f"/api/v1/orders/{theirs.number}/cancel/"),
        ("post", f"/api/v1/orders/{theirs.number}/pay/"),
    ]:
        assert getattr(api, method)(path, {"reason": "x"}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "pending_payment"
    assert APIClient().get("/api/v1/orders/").status_code == 403


def test_cancelling_through_the_api(api, shopper, tea):
    order = place(user=shopper, address=AddressFactory(user=shopper), items=[(tea, 3)])
    url = f"/api/v1/orders/{order.number}/cancel/"
    assert api.post(url, {}, format="json").status_code == 400
    cancelled = api.post(url, {"reason": "不要了"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.post(url, {"reason": "again"}, format="json").status_code == 409
    assert inventory.available_units(tea) == 10


@pytest.mark.parametrize("count", [1, 12])
def test_the_order_list_endpoint_runs_bounded_queries(
    api, shopper, count, django_assert_max_num_queries
):
    address = AddressFactory(user=shopper)
    skus = [listed_sku(price="10.00", stock=50, name=f"茶{n}") for n in range(2)]
    for _ in range(count):
        place(user=shopper, address=address, items=[(sku, 1) for sku in skus])
    with django_assert_max_num_queries(4):
        listed = api.get("/api/v1/orders/")
    assert listed.status_code == 200 and listed.json()["count"] == count


def _detail_queries(api, order) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(f"/api/v1/orders/{order.number}/").status_code == 200
    return len(captured.captured_queries)


def test_the_order_detail_endpoint_runs_the_same_queries_for_one_line_or_many(
    api, shopper, settings, django_assert_max_num_queries
):
    calm_carrier(settings)
    unpaid = place(user=shopper, address=AddressFactory(user=shopper), items=[(listed_sku(), 1)])
    with django_assert_max_num_queries(6):
        assert api.get(f"/api/v1/orders/{unpaid.number}/").status_code == 200
    # Paid, refunded, shipped and delivered: every part of the answer is there, at one
    # line, payment, refund and parcel, and at many.
    small, large = full_order(shopper, 1), full_order(shopper, 5)
    with django_assert_max_num_queries(8):  # with the order's discounts by source
        body = api.get(f"/api/v1/orders/{large.number}/").json()
    assert len(body["lines"]) == 5 and len(body["shipments"]) == 2
    assert len(body["payments"]) == 5
    assert sum(len(payment["refunds"]) for payment in body["payments"]) == 9
    assert all(len(parcel["events"]) > 1 for parcel in body["shipments"])
    assert len(body["timeline"]) == large.timeline.count() > 3
    assert _detail_queries(api, small) == _detail_queries(api, large)


def test_the_order_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/cart/", "/api/v1/checkout/quote/", "/api/v1/orders/{number}/pay/"):
        assert path in schema
    assert "Idempotency-Key" in schema


def test_the_whole_schema_generates_without_warnings():
    # A field drf-spectacular cannot type, or two enums sharing a name, is a warning that
    # leaves API clients guessing; --fail-on-warn turns it into this test's failure.
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.django_db(transaction=True)
def test_an_order_committed_before_the_database_went_away_is_answered_as_placed(shopper, tea):
    """PostgreSQL drops the connection right after the order commits: the answer is the
    placed order, built from what was committed, never an error that makes the shopper
    order again. (The connection is cut for real, by pg_terminate_backend.)"""
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(shopper)
    address = AddressFactory(user=shopper)
    api.post("/api/v1/cart/lines/", {"sku": tea.pk, "quantity": 2}, format="json")
    seen_insert = False

    def cut_after_commit(execute, sql, params, many, context):
        nonlocal seen_insert
        if sql.startswith('INSERT INTO "orders_order"'):
            seen_insert = True
        elif seen_insert and not connection.in_atomic_block:
            # The order's transaction has committed: this is the first query after it.
            db = connection.settings_dict
            killer = psycopg2.connect(
                dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"]
            )
            with killer, killer.cursor() as cursor:
                backend = connection.connection.info.backend_pid
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
            killer.close()
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(cut_after_commit):
            response = api.post(
                "/api/v1/orders/",
                {"address": address.pk},
                format="json",
                HTTP_IDEMPOTENCY_KEY="k-cut",
            )
    finally:
        connection.close()

    assert seen_insert
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(idempotency_key="k-cut")
    assert body["number"] == order.number
    assert body["total"] == str(order.total)
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [(tea.pk, 2)]
    assert body["timeline"][0]["transition"] == "place"
