"""Collecting events: server-side events stamped with the visit, the beacon, consent,
staff and robots left out, Redis trouble never reaching the page, ingestion into the
monthly partitions once per event id, and old partitions dropped."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse

from analytics.models import Event, OrderAttribution
from analytics.services import collection, ingestion, visits
from mall.tracking import record_event
from tests.analytics.conftest import BROWSER, queued
from tests.clocks import MID_MONTH, SHANGHAI
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders import paying
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


def _beacon(client, events, *, origin="http://testserver", **headers):
    return client.post(
        reverse("analytics:beacon"),
        data=json.dumps({"events": events}),
        content_type="application/json",
        headers={"Origin": origin, **headers},
    )


def test_a_product_view_is_queued_with_the_visit_and_written_once(
    collecting, browser_client, tea, django_capture_on_commit_callbacks
):
    product = tea.product
    with django_capture_on_commit_callbacks(execute=True):
        response = browser_client.get(
            reverse("catalog:product", args=[product.pk]) + "?utm_source=weibo&utm_campaign=618"
        )
    assert response.status_code == 200
    visitor = response.cookies[visits.VISITOR_COOKIE].value
    [event] = queued(collecting)
    assert event["name"] == "product_view"
    assert event["product"] == product.pk and event["category"] == product.category_id
    assert event["visitor"] == visitor and len(event["session"]) == 32
    assert event["utm_source"] == "weibo" and event["utm_campaign"] == "618"

    # The next page of the same session keeps its campaign without the parameters.
    with django_capture_on_commit_callbacks(execute=True):
        browser_client.get(reverse("storefront:search") + "?q=龙井")
    search = queued(collecting)[1]
    assert search["name"] == "search" and search["term"] == "龙井" and search["results"] == 1
    assert (search["session"], search["utm_source"]) == (event["session"], "weibo")

    assert ingestion.ingest_events() == 2
    assert ingestion.ingest_events() == 0
    stored = Event.objects.get(name="product_view")
    assert stored.product_id == product.pk and stored.visitor_id == visitor
    assert stored.occurred_at.astimezone(SHANGHAI).date() == MID_MONTH.date()
    assert ingestion.event_partitions() == [datetime.date(2026, 6, 1)]


def test_a_campaign_landing_page_that_records_nothing_still_keeps_its_campaign(
    collecting, browser_client, tea, django_capture_on_commit_callbacks
):
    landing = browser_client.get(reverse("storefront:home") + "?utm_source=weibo")
    assert landing.status_code == 200 and queued(collecting) == []
    assert "analytics/beacon.js" in landing.text
    with django_capture_on_commit_callbacks(execute=True):
        browser_client.get(reverse("catalog:product", args=[tea.product.pk]))
    [event] = queued(collecting)
    assert event["utm_source"] == "weibo"
    assert event["visitor"] == landing.cookies[visits.VISITOR_COOKIE].value


def test_a_new_campaign_starts_a_new_session(
    collecting, browser_client, tea, django_capture_on_commit_callbacks
):
    url = reverse("catalog:product", args=[tea.product.pk])
    with django_capture_on_commit_callbacks(execute=True):
        browser_client.get(url + "?utm_source=weibo")
        browser_client.get(url)
        browser_client.get(url + "?utm_source=baidu")
    first, second, third = queued(collecting)
    assert first["session"] == second["session"] != third["session"]
    assert first["visitor"] == third["visitor"]
    assert third["utm_source"] == "baidu"


def test_buying_records_cart_checkout_order_payment_and_refund_with_the_campaign(
    collecting, browser_client, tea, django_capture_on_commit_callbacks
):
    shopper = UserFactory()
    AddressFactory(user=shopper, is_default=True)
    browser_client.force_login(shopper)
    with django_capture_on_commit_callbacks(execute=True):
        browser_client.get(reverse("catalog:product", args=[tea.product.pk]) + "?utm_source=wechat")
        browser_client.post(reverse("orders:cart_add"), {"sku": tea.pk, "quantity": 3})
        browser_client.post(reverse("orders:cart_remove"), {"sku": tea.pk})
        browser_client.post(reverse("orders:cart_add"), {"sku": tea.pk, "quantity": 2})
        page = browser_client.get(reverse("orders:checkout"))
        form = page.context["form"]
        browser_client.post(
            reverse("orders:checkout"),
            {
                "address": form["address"].value(),
                "shipping_method": "standard",
                "idempotency_key": form["idempotency_key"].value(),
                "expected_total": form["expected_total"].value(),
            },
        )
    order = shopper.orders.get()
    with django_capture_on_commit_callbacks(execute=True):
        payment = paying.pay(order)
        from orders.services import payments

        payments.refund(
            payment=payment, amount="20.00", reason="damaged", idempotency_key="r1", actor=None
        )
    names = [event["name"] for event in queued(collecting)]
    assert names == [
        "product_view", "cart_add", "cart_remove", "cart_add", "checkout_start",
        "order_placed", "order_paid", "order_refunded",
    ]  # fmt: skip
    assert ingestion.ingest_events() == 8
    placed = Event.objects.get(name="order_placed")
    assert placed.order_id == order.pk and placed.amount == order.total == Decimal("100.00")
    assert placed.quantity == 2 and placed.user_id == shopper.pk
    assert placed.properties["lines"] == [[tea.pk, tea.product_id, 2, "90.00"]]
    assert Event.objects.get(name="order_paid").amount == order.total
    assert Event.objects.get(name="order_refunded").amount == Decimal("20.00")
    attribution = OrderAttribution.objects.get(order=order)
    assert attribution.utm_source == "wechat" and attribution.channel == "wechat"
    assert attribution.visitor_id == placed.visitor_id != ""


def test_a_claimed_coupon_is_recorded_and_a_refused_claim_is_not(
    collecting, django_capture_on_commit_callbacks
):
    from marketing.exceptions import CouponRefused
    from marketing.services import coupons
    from tests.marketing.promo_helpers import template

    made = template(per_shopper_limit=1)
    shopper = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        coupon = coupons.claim_coupon(template=made, user=shopper)
        with pytest.raises(CouponRefused):
            coupons.claim_coupon(template=made, user=shopper)
    [event] = queued(collecting)
    assert event["name"] == "coupon_claimed"
    assert event["user"] == shopper.pk
    assert event["props"] == {"template": made.pk, "coupon": coupon.pk}
    assert ingestion.ingest_events() == 1
    stored = Event.objects.get(name="coupon_claimed")
    assert stored.user_id == shopper.pk and stored.properties["coupon"] == coupon.pk


def test_a_rolled_back_action_records_nothing(collecting, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record_event("order_placed", order=1, amount="1.00")
        raise RuntimeError("refused")
    assert queued(collecting) == []


def test_staff_robots_and_shoppers_who_said_no_are_not_counted(
    collecting, browser_client, client, tea, django_capture_on_commit_callbacks
):
    url = reverse("catalog:product", args=[tea.product.pk])
    staff = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)  # no user agent
        client.get(url, headers={"User-Agent": "Mozilla/5.0 (compatible; Baiduspider/2.0)"})
        browser_client.get(url, headers={"Sec-GPC": "1"})
        browser_client.post(reverse("analytics:privacy"), {"next": url})  # box not ticked
        response = browser_client.get(url)
        browser_client.cookies.pop(visits.CONSENT_COOKIE)
        browser_client.force_login(staff)
        browser_client.get(url)
        assert (
            _beacon(browser_client, [{"id": uuid.uuid4().hex, "name": "page_view"}]).status_code
            == 204
        )
    assert queued(collecting) == []
    assert visits.VISITOR_COOKIE not in response.cookies


def test_the_beacon_keeps_a_retried_event_once_and_refuses_other_origins(
    collecting, browser_client
):
    event = {"id": str(uuid.uuid4()), "name": "page_view", "path": "/"}
    assert _beacon(browser_client, [event]).status_code == 204
    assert _beacon(browser_client, [event]).status_code == 204  # the browser retried
    assert _beacon(browser_client, [event], origin="https://evil.example").status_code == 403
    assert (
        browser_client.post(
            reverse("analytics:beacon"),
            "nope",
            content_type="application/json",
            headers={"Origin": "http://testserver"},
        ).status_code
        == 400
    )
    assert (
        _beacon(
            browser_client,
            [{"id": "x", "name": "page_view"}, {"id": uuid.uuid4().hex, "name": "order_paid"}],
        ).status_code
        == 204
    )
    [kept] = queued(collecting)
    assert kept["id"] == event["id"].replace("-", "") and kept["source"] == "beacon"
    assert ingestion.ingest_events() == 1
    assert Event.objects.get().source == "beacon"


def test_a_visitor_faster_than_a_person_is_cut_off(collecting, settings, browser_client):
    settings.MALL_ANALYTICS_MAX_EVENTS_PER_MINUTE = 3
    for _ in range(5):
        _beacon(browser_client, [{"id": uuid.uuid4().hex, "name": "page_view"}])
    assert len(queued(collecting)) == 3


def test_pages_work_and_stay_fast_while_redis_is_down(
    collecting, settings, browser_client, tea, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    collection.reset_client()
    url = reverse("catalog:product", args=[tea.product.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert browser_client.get(url).status_code == 200
    assert collection._paused_until > 0  # the next pages do not try again for a while
    with django_capture_on_commit_callbacks(execute=True):
        assert browser_client.get(url).status_code == 200


def test_a_batch_left_by_a_dead_ingester_is_written_once(collecting):
    event = collection.build_event("order_paid", {"order": 7, "amount": "9.90"})
    collecting.rpush(ingestion.PROCESSING_KEY, json.dumps(event))
    collecting.rpush(collection.QUEUE_KEY, json.dumps(event), b"not json")
    assert ingestion.ingest_events() == 1
    assert collecting.llen(ingestion.PROCESSING_KEY) == 0
    assert collecting.llen(collection.QUEUE_KEY) == 0
    assert Event.objects.get().amount == Decimal("9.90")


def test_events_go_to_their_month_and_old_months_are_dropped_once_their_facts_are_built(
    collecting, settings
):
    settings.MALL_ANALYTICS_EVENT_RETENTION_MONTHS = 2
    for moment in (
        datetime.datetime(2026, 2, 28, 23, 30, tzinfo=SHANGHAI),  # 15:30 UTC: still February here
        datetime.datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI),
        MID_MONTH,
    ):
        with time_machine.travel(moment, tick=False):
            collection.push(collection.build_event("order_paid", {"order": 1, "amount": "1"}))
    assert ingestion.ingest_events() == 3
    assert ingestion.event_partitions() == [
        datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), datetime.date(2026, 6, 1),
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_event_y2026m02")
        assert cursor.fetchone() == (1,)
    today = MID_MONTH.date()
    asked = []
    kept = ingestion.drop_expired_partitions(
        today=today, facts_built=lambda first, last: asked.append((first, last)) or False
    )
    assert kept == [] and asked[0] == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    dropped = ingestion.drop_expired_partitions(today=today, facts_built=lambda *_: True)
    assert dropped == [datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)]
    assert ingestion.event_partitions() == [datetime.date(2026, 6, 1)]
    assert Event.objects.count() == 1


def test_browser_user_agent_is_not_a_robot():
    assert not visits.BOT_AGENTS.search(BROWSER)
