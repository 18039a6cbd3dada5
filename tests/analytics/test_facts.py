"""Daily facts: built by SQL from the events, the same rows however often a day is
built, incremental, backfilled by a command, and checked against the orders."""

import datetime
import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from analytics.metrics import BY_KEY
from analytics.models import DailyChannelFact, DailyKpi, DailyProductFact, QualityCheck
from analytics.services import collection, facts, ingestion, quality
from orders.models import Order
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.orders import paying
from tests.orders.factories import listed_sku, place

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

DAY = MID_MONTH.date()


def emit(name, *, visitor="", session="", source="server", at=None, utm="", **properties):
    event = collection.build_event(name, properties, source=source)
    event.update(visitor=visitor, session=session or (visitor and visitor[:30] + "ss"))
    event["utm_source"] = utm
    if at is not None:
        event["at"] = at.isoformat()
    assert collection.push(event) == 1


def _buy(sku, quantity, *, user=None, capture):
    with capture(execute=True):
        order = place(items=[(sku, quantity)], user=user)
        paying.pay(order)
    return order


@pytest.fixture
def shop_day(collecting, django_capture_on_commit_callbacks):
    """A day: two people (one came from weibo) and a robot browse; one person buys twice
    (a returning customer: she ordered last month), another buys for the first time."""
    tea, cup = listed_sku(price="45.00", name="龙井"), listed_sku(price="30.00", name="茶杯")
    regular = UserFactory()
    earlier = place(items=[(cup, 1)], user=regular)  # only in the orders table:
    Order.objects.filter(pk=earlier.pk).update(placed_at=MID_MONTH - datetime.timedelta(days=30))
    for visitor, utm in (("a" * 32, "weibo"), ("b" * 32, "")):
        emit("page_view", visitor=visitor, source="beacon", utm=utm)
        emit("product_view", visitor=visitor, product=tea.product_id, utm=utm)
    emit("page_view", visitor="b" * 32, source="beacon")
    emit("cart_add", visitor="a" * 32, sku=tea.pk, quantity=2, utm="weibo")
    emit("checkout_start", visitor="a" * 32, utm="weibo")
    for _ in range(3):  # a robot: server events only, never a beacon
        emit("product_view", visitor="c" * 32, product=tea.product_id)
    first = _buy(tea, 2, user=regular, capture=django_capture_on_commit_callbacks)
    second = _buy(cup, 1, capture=django_capture_on_commit_callbacks)
    # Her order came from the weibo session (the collection stamps the visit in pages).
    assert ingestion.ingest_events() > 0
    from analytics.models import Event

    Event.objects.filter(order_id=first.pk, name="order_placed").update(
        visitor_id="a" * 32, session_id="a" * 30 + "ss", utm_source="weibo"
    )
    return {"tea": tea, "cup": cup, "orders": (first, second), "regular": regular}


def test_a_day_of_events_becomes_its_kpis(shop_day):
    facts.build_day(day=DAY)
    kpi = DailyKpi.objects.get(day=DAY)
    first, second = shop_day["orders"]
    assert (kpi.visitors, kpi.sessions, kpi.page_views, kpi.product_views) == (2, 2, 3, 2)
    assert (kpi.cart_adds, kpi.checkouts, kpi.converted_sessions) == (1, 1, 1)
    assert (kpi.orders, kpi.units) == (2, 3)
    assert kpi.gmv == first.total + second.total == Decimal("140.00")
    assert (kpi.paid_orders, kpi.paid_revenue) == (2, Decimal("140.00"))
    assert (kpi.customers, kpi.new_customers, kpi.returning_customers) == (2, 1, 1)
    totals = model_to_dict(kpi)
    assert BY_KEY["conversion_rate"].value(totals) == Decimal("50.00")
    assert BY_KEY["average_order_value"].value(totals) == Decimal("70.00")
    assert BY_KEY["repeat_purchase_rate"].value(totals) == Decimal("50.00")
    assert BY_KEY["net_revenue"].value(totals) == Decimal("140.00")

    tea = DailyProductFact.objects.get(day=DAY, product=shop_day["tea"].product)
    assert (tea.views, tea.cart_adds, tea.orders, tea.units, tea.gmv) == (
        2, 1, 1, 2, Decimal("90.00"),
    )  # fmt: skip
    assert tea.category_id == shop_day["tea"].product.category_id
    channels = {
        row.channel: (row.visitors, row.sessions, row.orders, row.gmv)
        for row in DailyChannelFact.objects.filter(day=DAY)
    }
    assert channels == {
        "weibo": (1, 1, 1, Decimal("100.00")),
        "direct": (1, 1, 1, Decimal("40.00")),
    }


def test_building_a_day_again_gives_the_same_rows(shop_day):
    def rows():
        kpi = model_to_dict(DailyKpi.objects.get(day=DAY), exclude=["built_at"])
        products = list(DailyProductFact.objects.order_by("product").values())
        channels = list(DailyChannelFact.objects.order_by("channel").values())
        for row in products + channels:
            row.pop("id")
        return kpi, products, channels

    facts.build_day(day=DAY)
    before = rows()
    facts.build_day(day=DAY)
    facts.build_day(day=DAY)
    assert rows() == before
    assert DailyKpi.objects.count() == 1


def test_the_job_builds_what_is_missing_then_only_the_last_days(collecting):
    emit("page_view", visitor="a" * 32, source="beacon", at=MID_MONTH - datetime.timedelta(days=3))
    ingestion.ingest_events()
    assert facts.build_daily_facts(today=DAY) == 17  # from the 1st of the month to today
    assert DailyKpi.objects.get(day=DAY - datetime.timedelta(days=3)).visitors == 1
    emit("page_view", visitor="b" * 32, source="beacon")
    ingestion.ingest_events()
    assert facts.build_daily_facts(today=DAY) == 2  # yesterday again, and today
    assert DailyKpi.objects.get(day=DAY).visitors == 1
    assert facts.facts_built(datetime.date(2026, 6, 1), DAY)
    assert not facts.facts_built(datetime.date(2026, 5, 31), DAY)


def test_data_quality_finds_what_the_events_missed(shop_day, django_capture_on_commit_callbacks):
    facts.build_day(day=DAY)
    assert quality.check_data_quality(since=DAY, until=DAY) == []
    assert QualityCheck.objects.filter(day=DAY).count() == 4
    # An order whose events were lost (collection was off, as when Redis is down).
    from django.test import override_settings

    with override_settings(MALL_ANALYTICS_COLLECT=False):
        _buy(shop_day["tea"], 1, capture=django_capture_on_commit_callbacks)
    ingestion.ingest_events()
    facts.build_day(day=DAY)
    drifts = {(d.metric, d.fact_value, d.source_value) for d in quality.check_data_quality(
        since=DAY, until=DAY
    )}  # fmt: skip
    assert drifts == {
        ("orders", 2, 3),
        ("gmv", Decimal("140.00"), Decimal("195.00")),
        ("paid_revenue", Decimal("140.00"), Decimal("195.00")),
    }
    assert QualityCheck.objects.filter(day=DAY).count() == 4  # replaced, not added


def test_the_backfill_command_rebuilds_a_range(collecting):
    emit("page_view", visitor=uuid.uuid4().hex, source="beacon")
    ingestion.ingest_events()
    out = StringIO()
    call_command("build_facts", "--since", "2026-06-10", "--until", "2026-06-17", stdout=out)
    assert "built 8 day(s)" in out.getvalue()
    assert DailyKpi.objects.filter(day__range=("2026-06-10", "2026-06-17")).count() == 8
    assert DailyKpi.objects.get(day=DAY).visitors == 1
