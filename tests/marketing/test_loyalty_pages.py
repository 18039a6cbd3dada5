"""The member centre page and its REST endpoints: the shopper's own tier, progress,
benefits and points, in a fixed number of queries; another shopper's entry is not found;
the endpoints are in the OpenAPI schema; checkout offers the points."""

import pytest
from django.urls import reverse

from marketing.models import PointsEntry
from marketing.services import loyalty
from tests.clocks import MID_MONTH
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.loyalty_helpers import give_points, tiers

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


@pytest.mark.parametrize("entries", [1, 20])
def test_the_member_centre_shows_tier_progress_and_points_in_fixed_queries(
    client, entries, django_assert_max_num_queries
):
    made = tiers(silver=("2000", 3))
    shopper = UserFactory()
    loyalty.set_tier(user=shopper, tier=made["member"], actor=None)
    for _ in range(entries):
        give_points(shopper, 10)
    client.force_login(shopper)

    with django_assert_max_num_queries(9):
        page = client.get(reverse("membership:centre"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    body = page.content.decode()
    assert page.status_code == 200
    assert "普通会员" in body and "银卡" in body
    assert f'<span id="points-balance">{entries * 10}</span>' in body
    assert body.count('class="points-entry') == entries
    assert "¥2,000.00" in body  # to reach 银卡


def test_the_member_centre_needs_a_signed_in_shopper(client):
    page = client.get(reverse("membership:centre"))
    assert page.status_code == 302 and "/accounts/" in page["Location"]


def test_the_api_shows_only_the_shoppers_own_points(client):
    tiers()
    shopper, other = UserFactory(), UserFactory()
    give_points(shopper, 120)
    theirs = give_points(other, 50)
    client.force_login(shopper)

    centre = client.get("/api/v1/membership/").json()
    history = client.get("/api/v1/membership/points/").json()
    mine = PointsEntry.objects.get(user=shopper)

    assert centre["balance"] == 120 and centre["tier"]["code"] == "member"
    assert centre["progress"]["next_tier"]["code"] == "silver"
    assert [row["points"] for row in history] == [120]
    assert client.get(f"/api/v1/membership/points/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/membership/points/{theirs.pk}/").status_code == 404
    client.logout()
    assert client.get("/api/v1/membership/").status_code in (401, 403)


def test_the_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/membership/", "/api/v1/membership/points/", "/points/{id}/"):
        assert path in schema


def test_checkout_offers_the_points_to_use(client):
    from tests.orders.factories import listed_sku

    tea = listed_sku(price="100.00")
    shopper = UserFactory()
    AddressFactory(user=shopper)
    give_points(shopper, 8000)
    client.force_login(shopper)
    client.post(reverse("orders:cart_add"), {"sku": tea.pk, "quantity": 1})

    page = client.get(reverse("orders:checkout"), HTTP_ACCEPT_LANGUAGE="en")

    body = page.content.decode()
    assert 'name="points"' in body
    assert "Use 5000 points" in body  # half of 100.00, of 8,000
