"""The review's uplift: the shop's paid orders and GMV on each campaign day against the
average of the same weekday in the four weeks before, in whole days of the shop's time
zone, in one query whatever the number of orders. The clock is fixed."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from marketing.selectors.uplift import uplift
from orders.models import Order
from tests.marketing.campaign_helpers import campaign, operator
from tests.marketing.promo_helpers import place, shopper_with_address
from tests.orders.factories import listed_sku

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 6, 20, 12, 0, tzinfo=SHANGHAI)  # a Saturday

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW)]


def _at(month, day, hour=10, minute=0):
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def tea():
    return listed_sku(price="10.00", stock=500, name="龙井")


def _sold(tea, when, amount="100.00", *, status=Order.Status.PAID):
    user, address = shopper_with_address()
    order = place(user, address, [(tea, 1)])
    Order.objects.filter(pk=order.pk).update(
        placed_at=when,
        status=status,
        goods_total=Decimal(amount),
        shipping_fee=0,
        shipping_discount=0,
        discount_total=0,
        stored_value_paid=0,
        total=Decimal(amount),
    )


@pytest.fixture
def made():
    # Monday 15 June 10:00 to Wednesday 17 June 22:00: three campaign days.
    return campaign(starts_at=_at(6, 15), ends_at=_at(6, 17, 22), budget="1000")


def test_each_day_is_measured_against_the_same_weekday_before(made, tea):
    # Mondays of the baseline (18 May - 8 June): two of four sold 100 each.
    _sold(tea, _at(6, 1))
    _sold(tea, _at(6, 8))
    _sold(tea, _at(5, 11))  # five weeks before: outside the baseline
    _sold(tea, _at(6, 8, 11), status=Order.Status.CANCELLED)  # not a sale
    # Tuesdays of the baseline: 100 each week.
    for day in (19, 26):
        _sold(tea, _at(5, day))
    for day in (2, 9):
        _sold(tea, _at(6, day))
    # The campaign: Monday two sales (one just after midnight in Shanghai, still Sunday in
    # UTC), Tuesday one of 150, Wednesday none; Thursday's sale is after the end.
    _sold(tea, _at(6, 15, 0, 30))
    _sold(tea, _at(6, 15, 20))
    _sold(tea, _at(6, 16), "150.00")
    _sold(tea, _at(6, 18))
    _sold(tea, _at(6, 14, 23, 59))  # the Sunday before: in no baseline of a campaign day

    figures = uplift(made)

    assert figures["baseline_from"] == datetime.date(2026, 5, 18)
    assert figures["baseline_to"] == datetime.date(2026, 6, 14)
    monday, tuesday, wednesday = figures["days"]
    assert monday["day"] == datetime.date(2026, 6, 15)
    assert (monday["orders"], monday["gmv"]) == (2, Decimal("200.00"))
    assert (monday["baseline_orders"], monday["baseline_gmv"]) == (
        Decimal("0.50"),
        Decimal("50.00"),
    )
    assert monday["orders_uplift"] == Decimal("300.00") == monday["gmv_uplift"]
    assert (tuesday["orders"], tuesday["baseline_orders"]) == (1, Decimal("1.00"))
    assert tuesday["orders_uplift"] == Decimal("0.00")
    assert tuesday["gmv_uplift"] == Decimal("50.00")
    assert wednesday["orders"] == 0 and wednesday["orders_uplift"] is None
    # The whole campaign: 3 orders and 350 against 1.5 and 150 expected.
    assert (figures["orders"], figures["baseline_orders"]) == (3, Decimal("1.50"))
    assert figures["orders_uplift"] == Decimal("100.00")
    assert (figures["gmv"], figures["baseline_gmv"]) == (Decimal("350.00"), Decimal("150.00"))
    assert figures["gmv_uplift"] == Decimal("133.33")


def test_a_running_campaign_counts_up_to_today(tea):
    running = campaign(starts_at=_at(6, 18), ends_at=_at(6, 30), budget="1000")
    days = [row["day"] for row in uplift(running)["days"]]
    assert days == [datetime.date(2026, 6, day) for day in (18, 19, 20)]


def test_a_campaign_not_started_has_no_days(tea):
    later = campaign(starts_at=_at(7, 1), ends_at=_at(7, 3), budget="1000", state="approved")
    figures = uplift(later)
    assert figures["days"] == [] and figures["orders_uplift"] is None


def test_one_query_whatever_the_orders(made, tea, django_assert_max_num_queries):
    _sold(tea, _at(6, 8))
    with django_assert_max_num_queries(1):
        uplift(made)
    for day in (1, 2, 3, 9, 15, 16, 17):
        _sold(tea, _at(6, day))
    with django_assert_max_num_queries(1):
        assert uplift(made)["orders"] == 3


def test_the_review_page_shows_the_uplift(made, tea, client):
    _sold(tea, _at(6, 8))
    _sold(tea, _at(6, 15))
    client.force_login(operator())
    page = client.get(reverse("admin:marketing_campaign_review", args=[made.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="review-uplift"' in html
    assert "2026-05-18" in html and "2026-06-14" in html
    assert "300.00" in html  # one sale against a quarter of one
