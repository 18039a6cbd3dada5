"""RFM segments: quintile scores and named segments computed by SQL from the orders, the
same rows however often the job runs, the counts per segment for analysts and managers,
and a segment exported as a CSV that marketing can upload as a coupon audience."""

import datetime

import pytest
from django.urls import reverse

from analytics import tasks
from analytics.models import CustomerScore, Segment
from analytics.services import segments
from orders.models import Order
from tests.clocks import MID_MONTH
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders.factories import listed_sku, place

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

SEGMENTS = reverse("admin:analytics_segments")
EXPORT = reverse("admin:analytics_exports")


def _orders(user, sku, *, count, units, last_days_ago):
    """``count`` orders of ``units`` units at 100.00 (free shipping), the last one
    ``last_days_ago`` days ago, the others a day apart before it."""
    address = AddressFactory(user=user)
    for n in range(count):
        order = place(user=user, address=address, items=[(sku, units)])
        placed = MID_MONTH - datetime.timedelta(days=last_days_ago + n)
        Order.objects.filter(pk=order.pk).update(placed_at=placed)


@pytest.fixture
def shoppers():
    """Six shoppers (days since the last order, orders, spent):
    A (35, 5, 1500), B (300, 4, 1200), C (50, 1, 1000), D (200, 3, 300), E (250, 1, 100;
    and a cancelled order 3 days ago, which does not count), N (5, 1, 100: new)."""
    sku = listed_sku(price="100.00", stock=500)
    people = {name: UserFactory() for name in "ABCDEN"}
    _orders(people["A"], sku, count=5, units=3, last_days_ago=35)
    _orders(people["B"], sku, count=4, units=3, last_days_ago=300)
    _orders(people["C"], sku, count=1, units=10, last_days_ago=50)
    _orders(people["D"], sku, count=3, units=1, last_days_ago=200)
    _orders(people["E"], sku, count=1, units=1, last_days_ago=250)
    cancelled = place(user=people["E"], items=[(sku, 9)])
    Order.objects.filter(pk=cancelled.pk).update(
        status=Order.Status.CANCELLED, placed_at=MID_MONTH - datetime.timedelta(days=3)
    )
    _orders(people["N"], sku, count=1, units=1, last_days_ago=5)
    # Someone who bought only before the window is not scored at all.
    _orders(UserFactory(), sku, count=1, units=1, last_days_ago=400)
    return people


def _scores(people):
    names = {user.pk: name for name, user in people.items()}
    return {
        names[s.user_id]: (s.r_score, s.f_score, s.m_score, s.segment)
        for s in CustomerScore.objects.all()
    }


def test_quintile_scores_and_segments_of_a_known_set(shoppers):
    assert segments.build_customer_scores() == 6
    # Percent rank over six shoppers: 0, .2, .4, .6, .8, 1 -> 1, 2, 3, 4, 5, 5; ties share
    # the lower score (C, E and N have one order each: F = 1; E and N spent 100: M = 1).
    assert _scores(shoppers) == {
        "A": (5, 5, 5, Segment.IMPORTANT_VALUE),
        "B": (1, 5, 5, Segment.IMPORTANT_KEEP),
        "C": (4, 1, 4, Segment.IMPORTANT_DEVELOP),
        "D": (3, 4, 3, Segment.IMPORTANT_VALUE),
        "E": (2, 1, 1, Segment.LOST),
        "N": (5, 1, 1, Segment.NEW),
    }
    a = CustomerScore.objects.get(user=shoppers["A"])
    assert (a.recency_days, a.frequency, str(a.monetary)) == (35, 5, "1500.00")


def test_the_job_gives_the_same_scores_however_often_it_runs(shoppers):
    def rows():
        return sorted(
            CustomerScore.objects.values_list(
                "user", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
                "segment",
            )
        )  # fmt: skip

    assert tasks.build_customer_scores.apply().get() == 6
    before = rows()
    tasks.build_customer_scores.apply().get()
    segments.build_customer_scores()
    assert rows() == before and CustomerScore.objects.count() == 6


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_analysts_and_managers_see_the_count_of_each_segment(client, shoppers, role):
    segments.build_customer_scores()
    client.force_login(UserFactory(roles=[role]))
    page = client.get(SEGMENTS)
    assert page.status_code == 200
    counts = {row["segment"]: row["shoppers"] for row in page.context["rows"]}
    assert counts[Segment.IMPORTANT_VALUE] == 2 and counts[Segment.NEW] == 1
    assert counts[Segment.AT_RISK] == 0 and sum(counts.values()) == 6
    assert f"{EXPORT}?report=segment&amp;segment=important_value" in page.text
    assert "Their only order so far came in the last 30 days." in page.text
    listing = client.get(
        reverse("admin:analytics_customerscore_changelist"), {"segment__exact": "important_value"}
    )
    assert listing.status_code == 200 and listing.context["cl"].result_count == 2


def test_others_cannot_see_or_export_segments(client, shoppers):
    client.force_login(UserFactory(roles=["warehouse"]))
    assert client.get(SEGMENTS).status_code == 403
    assert client.get(EXPORT, {"report": "segment"}).status_code == 403
