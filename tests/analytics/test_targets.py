"""Targets: a year split into months (by days, by last year's seasonality, by hand) that
always add up, and actual against target with pace and red/amber/green."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.exceptions import TargetRefused
from analytics.models import DailyChannelFact, DailyKpi, DailyProductFact, Target
from analytics.selectors.kpis import target_progress
from analytics.services.targets import set_target
from tests.catalog.factories import CategoryFactory
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = MID_MONTH.date()  # 2026-06-17


@pytest.fixture
def manager(db):
    return UserFactory(is_staff=True)


def _kpi(day, **figures):
    DailyKpi.objects.create(day=day, built_at=timezone.now(), **figures)


def test_an_even_split_follows_the_days_and_adds_up(manager):
    target = set_target(year=2026, metric="gmv", split="even", amount="1000000", actor=manager)
    months = {m.month: m.amount for m in target.months.all()}
    assert months[1] == Decimal("84931.51")  # 31 of 365 days
    assert months[2] == Decimal("76712.33")
    assert sum(months.values()) == target.amount == Decimal("1000000.00")


def test_a_seasonal_split_follows_last_year_and_counts_stay_whole(manager):
    _kpi(datetime.date(2025, 6, 18), orders=300)
    _kpi(datetime.date(2025, 11, 11), orders=600)
    _kpi(datetime.date(2025, 12, 1), orders=100)
    target = set_target(year=2026, metric="orders", split="seasonality", amount=1001, actor=manager)
    months = {m.month: m.amount for m in target.months.all()}
    assert (months[6], months[11], months[12], months[1]) == (300, 601, 100, 0)
    assert sum(months.values()) == 1001
    with pytest.raises(TargetRefused, match="no figures of 2024"):
        set_target(year=2025, metric="orders", split="seasonality", amount=5, actor=manager)


def test_by_hand_the_year_is_the_sum_and_bad_input_writes_nothing(manager):
    figures = [str(n * 10) for n in range(1, 13)]
    target = set_target(year=2026, metric="gmv", split="manual", months=figures, actor=manager)
    assert target.amount == Decimal("780.00")
    again = set_target(year=2026, metric="gmv", split="even", amount="365", actor=manager)
    assert again.pk == target.pk and again.months.count() == 12
    for bad in (
        {"metric": "conversion_rate", "split": "even", "amount": "5"},
        {"metric": "gmv", "split": "manual", "months": ["1"] * 11},
        {"metric": "gmv", "split": "even", "amount": "-1"},
        {"metric": "gmv", "split": "even", "amount": "lots"},
    ):
        with pytest.raises(TargetRefused):
            set_target(year=2027, actor=manager, **bad)
    assert not Target.objects.filter(year=2027).exists()


def test_actual_against_target_with_pace_and_colours(manager):
    set_target(
        year=2026, metric="gmv", split="manual", actor=manager,
        months=["100"] * 5 + ["3000"] + ["100"] * 6,
    )  # fmt: skip
    set_target(year=2026, metric="orders", split="manual", actor=manager, months=[10] * 12)
    _kpi(datetime.date(2026, 5, 3), gmv=Decimal("120.00"), orders=9)
    # 17 of June's 30 days: 1,530 projects to 2,700 of 3,000 (90 %: amber)
    _kpi(datetime.date(2026, 6, 10), gmv=Decimal("1530.00"), orders=12)
    [gmv, orders] = target_progress(year=2026, today=TODAY)
    by_label = {row.label: row for row in gmv["months"]}
    may, june, july = by_label["2026-05"], by_label["2026-06"], by_label["2026-07"]
    assert (may.actual, may.status) == (Decimal("120.00"), "green")
    assert (june.actual, june.projected, june.status) == (
        Decimal("1530.00"), Decimal("2700.00"), "amber",
    )  # fmt: skip
    assert june.pace == Decimal("90.0") and june.share == Decimal("51.0")
    assert (july.actual, july.status) == (None, "")
    q2 = gmv["quarters"][1]
    assert (q2.target, q2.actual) == (Decimal("3200.00"), Decimal("1650.00"))
    assert gmv["year"].target == Decimal("4100.00")
    june_orders = {row.label: row for row in orders["months"]}["2026-06"]
    assert (june_orders.projected, june_orders.status) == (Decimal("21"), "green")
    orders_by_label = {row.label: row for row in orders["months"]}
    assert orders_by_label["2026-05"].status == "amber"  # 9 of 10: within 10 %
    assert orders_by_label["2026-04"].status == "red"  # none of 10


def test_progress_takes_three_queries_however_many_targets(manager, django_assert_num_queries):
    for metric in ("gmv", "orders", "units", "paid_revenue"):
        set_target(year=2026, metric=metric, split="even", amount="1000", actor=manager)
    with django_assert_num_queries(3):
        assert len(target_progress(year=2026, today=TODAY)) == 4


def _product_fact(day, category, product_id, **figures):
    DailyProductFact.objects.create(
        day=day, product_id=product_id, category_id=category.pk, **figures
    )


def _channel_fact(day, channel, **figures):
    DailyChannelFact.objects.create(day=day, channel=channel, **figures)


def test_a_categorys_target_counts_its_subcategories_and_a_channels_its_own(manager):
    tea = CategoryFactory()
    green = CategoryFactory(parent=tea)
    other = CategoryFactory()
    set_target(year=2026, metric="gmv", split="manual", actor=manager, months=["100"] * 12,
               category=tea)  # fmt: skip
    set_target(year=2026, metric="orders", split="manual", actor=manager, months=[10] * 12,
               channel="weibo")  # fmt: skip
    set_target(year=2026, metric="gmv", split="manual", actor=manager, months=["1"] * 12)
    _product_fact(datetime.date(2026, 5, 3), tea, 1, gmv=Decimal("30.00"), units=1)
    _product_fact(datetime.date(2026, 5, 4), green, 2, gmv=Decimal("80.00"), units=2)
    _product_fact(datetime.date(2026, 5, 4), other, 3, gmv=Decimal("999.00"), units=9)
    _channel_fact(datetime.date(2026, 5, 9), "weibo", orders=9, gmv=Decimal("90.00"))
    _channel_fact(datetime.date(2026, 5, 9), "direct", orders=50, gmv=Decimal("500.00"))
    _kpi(datetime.date(2026, 5, 9), gmv=Decimal("1609.00"), orders=60)
    shop, by_tea, by_weibo = target_progress(year=2026, today=TODAY)
    assert (shop["scope"], by_tea["scope"], by_weibo["scope"]) == ("", str(tea), "weibo")
    may = {row.label: row for row in by_tea["months"]}["2026-05"]
    assert (may.target, may.actual, may.status) == (Decimal("100"), Decimal("110.00"), "green")
    weibo_may = {row.label: row for row in by_weibo["months"]}["2026-05"]
    assert (weibo_may.actual, weibo_may.status) == (9, "amber")  # 9 of 10: within 10 %
    shop_may = {row.label: row for row in shop["months"]}["2026-05"]
    assert shop_may.actual == Decimal("1609.00")
    # Setting the category's target again replaces it; the shop's stays.
    set_target(year=2026, metric="gmv", split="even", amount="365", actor=manager, category=tea)
    assert Target.objects.filter(year=2026, metric="gmv").count() == 2


def test_a_channels_seasonality_is_its_own_last_year(manager):
    _channel_fact(datetime.date(2025, 3, 1), "weibo", orders=30)
    _channel_fact(datetime.date(2025, 9, 1), "weibo", orders=10)
    _channel_fact(datetime.date(2025, 1, 1), "direct", orders=999)
    target = set_target(year=2026, metric="orders", split="seasonality", amount=400,
                        actor=manager, channel="weibo")  # fmt: skip
    months = {m.month: m.amount for m in target.months.all()}
    assert (months[1], months[3], months[9]) == (0, 300, 100)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "paid_revenue", "channel": "weibo"}, "A channel's target can be set for"),
        ({"metric": "orders", "category": True}, "A category's target can be set for"),
        ({"metric": "gmv", "category": True, "channel": "weibo"}, "not both"),
    ],
)
def test_scoped_targets_refuse_what_their_facts_do_not_carry(manager, kwargs, message):
    if kwargs.get("category"):
        kwargs["category"] = CategoryFactory()
    with pytest.raises(TargetRefused, match=message):
        set_target(year=2026, split="even", amount="10", actor=manager, **kwargs)
    assert not Target.objects.exists()


def test_progress_stays_at_six_queries_with_scoped_targets(manager, django_assert_num_queries):
    def grow(n):
        for _ in range(n):
            category = CategoryFactory(parent=CategoryFactory())
            set_target(year=2026, metric="gmv", split="even", amount="100", actor=manager,
                       category=category)  # fmt: skip
            set_target(year=2026, metric="orders", split="even", amount="100", actor=manager,
                       channel=f"source-{category.pk}")  # fmt: skip

    set_target(year=2026, metric="gmv", split="even", amount="100", actor=manager)
    grow(1)
    with django_assert_num_queries(6):
        assert len(target_progress(year=2026, today=TODAY)) == 3
    grow(4)
    with django_assert_num_queries(6):
        assert len(target_progress(year=2026, today=TODAY)) == 11


def test_managers_set_a_category_target_on_the_page(client, manager):
    category = CategoryFactory()
    boss = UserFactory(roles=["manager"])
    client.force_login(boss)
    page = client.post(
        reverse("admin:analytics_targets"),
        {"year": 2026, "metric": "gmv", "split": "even", "amount": "3650", "category": category.pk},
    )
    assert page.status_code == 302
    target = Target.objects.get()
    assert (target.category, target.channel, target.amount) == (category, "", Decimal("3650.00"))
    shown = client.get(reverse("admin:analytics_targets"), {"year": 2026})
    assert f'data-target-scope="{category}"' in shown.text
    refused = client.post(
        reverse("admin:analytics_targets"),
        {"year": 2026, "metric": "gmv", "split": "even", "amount": "1", "category": category.pk,
         "channel": "weibo"},
    )  # fmt: skip
    assert refused.status_code == 200 and "not both" in refused.text
