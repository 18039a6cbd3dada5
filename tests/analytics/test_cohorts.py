"""Monthly acquisition cohorts: the month of a shopper's first order (shop time, cancelled
orders left out) and the share who ordered in each month after, in one query."""

import datetime

import pytest
from django.urls import reverse

from analytics.selectors.cohorts import monthly_cohorts
from orders.models import Order
from tests.clocks import MID_MONTH, SHANGHAI
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders.factories import listed_sku, place

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

TODAY = MID_MONTH.date()  # 2026-06-17
COHORTS = reverse("admin:analytics_cohorts")


def _order(user, sku, when, *, cancelled=False):
    order = place(user=user, address=AddressFactory(user=user), items=[(sku, 1)])
    fields = {"placed_at": when}
    if cancelled:
        fields["status"] = Order.Status.CANCELLED
    Order.objects.filter(pk=order.pk).update(**fields)


def _at(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def history():
    sku = listed_sku(price="10.00", stock=100)
    a, b, c, d, e = (UserFactory() for _ in range(5))
    _order(a, sku, _at(2026, 4, 10))
    _order(a, sku, _at(2026, 5, 1, 0, 30))  # 30 April in UTC: May in the shop's time
    _order(a, sku, _at(2026, 6, 1))
    _order(b, sku, _at(2026, 4, 20))
    _order(c, sku, _at(2026, 5, 15))
    _order(c, sku, _at(2026, 6, 3), cancelled=True)  # does not count as coming back
    _order(d, sku, _at(2025, 1, 5))  # acquired before the window
    _order(d, sku, _at(2026, 5, 5))
    _order(e, sku, _at(2026, 3, 1), cancelled=True)  # a cancelled first order is no first
    _order(e, sku, _at(2026, 6, 2))


def test_cohorts_by_first_month_with_retention(history):
    rows = monthly_cohorts(today=TODAY, months=3)
    assert [(row["month"], row["size"], row["cells"]) for row in rows] == [
        (datetime.date(2026, 4, 1), 2, [(2, 100.0), (1, 50.0), (1, 50.0)]),
        (datetime.date(2026, 5, 1), 1, [(1, 100.0), (0, 0.0)]),
        (datetime.date(2026, 6, 1), 1, [(1, 100.0)]),
    ]
    # Months without new shoppers are shown empty, not skipped.
    rows = monthly_cohorts(today=TODAY, months=4)
    assert (rows[0]["month"], rows[0]["size"], rows[0]["cells"][0]) == (
        datetime.date(2026, 3, 1), 0, (0, None),
    )  # fmt: skip


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_the_page_takes_the_same_queries_for_six_months_as_for_two_years(
    client, history, role, django_assert_max_num_queries
):
    client.force_login(UserFactory(roles=[role]))
    client.get(COHORTS)  # sessions, permissions and the like cached
    with django_assert_max_num_queries(8) as six:
        page = client.get(COHORTS, {"months": 6})
    with django_assert_max_num_queries(len(six.captured_queries)):
        longer = client.get(COHORTS, {"months": 24})
    assert page.status_code == longer.status_code == 200
    assert len(longer.context["rows"]) == 24
    assert 'data-cohort="2026-04"' in page.text and "50.0 %" in page.text
    assert client.get(COHORTS, {"months": "many"}).status_code == 200


def test_others_cannot_see_the_cohorts(client):
    client.force_login(UserFactory(roles=["warehouse"]))
    assert client.get(COHORTS).status_code == 403
