"""The KPI dashboard and the targets page: for analysts and managers only, figures with
their definitions and change against the period before, an SVG trend drawn by the server,
and a fixed number of queries however long the range."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.admin.charts import line_chart
from analytics.models import DailyKpi, DailyProductFact, QualityCheck, Target
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

TODAY = MID_MONTH.date()
DASHBOARD = reverse("admin:analytics_dashboard")
TARGETS = reverse("admin:analytics_targets")


def login(client, role):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


def facts_for(days: int, *, product=None):
    """A fact row for each of the ``days`` up to today: 10 orders of 100.00 a day (and 5
    the day count before), two product facts a day."""
    now = timezone.now()
    DailyKpi.objects.bulk_create(
        DailyKpi(
            day=TODAY - datetime.timedelta(days=n),
            built_at=now,
            sessions=200,
            converted_sessions=10,
            orders=10 if n < 30 else 5,
            gmv=Decimal("1000.00") if n < 30 else Decimal("500.00"),
            product_views=80,
            cart_adds=20,
            checkouts=12,
        )
        for n in range(days)
    )
    if product is not None:
        DailyProductFact.objects.bulk_create(
            DailyProductFact(
                day=TODAY - datetime.timedelta(days=n),
                product=product,
                views=8,
                orders=1,
                units=2,
                gmv=Decimal("90.00"),
            )
            for n in range(days)
        )


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_analysts_and_managers_see_the_figures_with_their_meaning(client, role):
    login(client, role)
    facts_for(60, product=listed_sku().product)
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    tiles = {tile["metric"].key: tile for tile in page.context["tiles"]}
    assert tiles["gmv"]["value"] == Decimal("30000.00")
    assert tiles["gmv"]["change"] == 100.0 and tiles["gmv"]["good"] is True
    assert tiles["conversion_rate"]["value"] == Decimal("5.00")
    text = page.text
    assert "Share of sessions that placed at least one order." in text  # beside the tile
    assert "<svg" in text and "<polyline" in text and "cdn" not in text.lower()
    assert "龙井" in text  # top products
    assert [step["value"] for step in page.context["funnel"]] == [2400, 600, 360, 300]
    index = client.get(reverse("admin:index")).text
    assert DASHBOARD in index and TARGETS in index


def test_others_are_refused(client):
    login(client, "operator")
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(TARGETS).status_code == 403


def test_a_bad_range_is_refused_on_the_form(client):
    login(client, "analyst")
    page = client.get(DASHBOARD, {"since": "2026-06-10", "until": "2026-06-01", "metric": "gmv"})
    assert page.status_code == 200
    assert "The first day comes after the last." in page.text


def test_the_dashboard_takes_the_same_queries_for_a_week_and_for_two_years(
    client, django_assert_max_num_queries
):
    login(client, "analyst")
    facts_for(2 * 366, product=listed_sku().product)
    Target.objects.all().delete()
    client.get(DASHBOARD)  # warm: the session, the user, the content types
    counts = []
    for days in (7, 90, 2 * 366):
        since = (TODAY - datetime.timedelta(days=days - 1)).isoformat()
        with django_assert_max_num_queries(14) as queries:
            page = client.get(DASHBOARD, {"since": since, "until": TODAY, "metric": "orders"})
        assert page.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    assert page.context["grain"] == "month" and len(page.context["chart"].dots) <= 25


def test_a_manager_sets_a_target_and_sees_it_against_the_facts(client):
    manager = login(client, "manager")
    facts_for(20)
    response = client.post(
        TARGETS, {"year": 2026, "metric": "gmv", "split": "even", "amount": "365000"}
    )
    assert response.status_code == 302
    target = Target.objects.get(year=2026, metric="gmv")
    assert target.set_by == manager and target.amount == Decimal("365000.00")
    page = client.get(DASHBOARD)
    [progress] = page.context["targets"]
    june = {row.label: row for row in progress["months"]}["2026-06"]
    assert june.target == Decimal("30000.00")
    assert june.actual == Decimal("17000.00")  # 17 June days of 1,000.00
    assert june.status == "green"  # 17,000 in 17 days projects to 30,000
    assert "on track" in page.text

    refused = client.post(TARGETS, {"year": 2026, "metric": "gmv", "split": "manual"})
    assert "Give a target for each of the twelve months." in refused.text


def test_analysts_read_targets_but_do_not_set_them(client):
    login(client, "analyst")
    assert client.get(TARGETS).status_code == 200
    assert client.get(TARGETS).context["form"] is None
    response = client.post(TARGETS, {"year": 2026, "metric": "gmv", "split": "even", "amount": "1"})
    assert response.status_code == 403
    assert not Target.objects.exists()


def test_drifts_found_by_the_quality_job_are_shown(client):
    login(client, "analyst")
    QualityCheck.objects.create(
        day=TODAY, metric="orders", fact_value=2, source_value=3, checked_at=timezone.now()
    )
    page = client.get(DASHBOARD)
    assert 'id="drifts"' in page.text


def test_the_chart_puts_the_highest_value_on_the_top_line():
    chart = line_chart([("a", Decimal("0")), ("b", Decimal("50")), ("c", Decimal("100"))])
    ys = [y for _x, y, _l, _v in chart.dots]
    assert ys == [190.0, 110.0, 30.0]
    assert line_chart([]) is None
