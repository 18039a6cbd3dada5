"""The annual plan: the year's campaigns on a month grid, each budget planned over its
months in proportion to its time (adding up to the cent), spent by the month of each
booking, rolled up per month and quarter, in two queries whatever the campaigns."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from marketing.models import CampaignSpend
from marketing.selectors.plan import annual_plan
from marketing.services import campaigns
from tests.marketing.campaign_helpers import campaign, operator

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 6, 20, 12, 0, tzinfo=SHANGHAI)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW)]


def _at(month, day, year=2026):
    return datetime.datetime(year, month, day, tzinfo=SHANGHAI)


def _book(made, amount, when):
    entry = campaigns.book(
        campaign_id=made.pk,
        amount=amount,
        key=f"test:{made.pk}:{when}",
        kind=CampaignSpend.Kind.CHANNEL,
    )
    CampaignSpend.objects.filter(pk=entry.pk).update(at=when)


def test_budgets_are_planned_over_their_months_and_spent_by_booking_month():
    # 20 days in May (12th-31st) and 10 in June: 2/3 and 1/3 of 900.
    spring = campaign(starts_at=_at(5, 12), ends_at=_at(6, 11), budget="900", name="春茶")
    # From December 2026 into January 2027: only December's part is this year's.
    campaign(
        starts_at=_at(12, 17),
        ends_at=_at(1, 16, 2027),
        budget="310",
        name="年货节",
        state="approved",
    )
    campaign(starts_at=_at(3, 1), ends_at=_at(3, 5), budget="100", state="draft", name="三月草案")
    _book(spring, "50", _at(5, 31, 2026).replace(hour=23, minute=30))  # still May in Shanghai
    _book(spring, "20", _at(6, 2))

    plan = annual_plan(2026)

    rows = {row["campaign"].name: row["months"] for row in plan["rows"]}
    assert rows["春茶"][4]["planned"] == Decimal("600.00")
    assert rows["春茶"][5]["planned"] == Decimal("300.00")
    assert [cell["runs"] for cell in rows["春茶"]].count(True) == 2
    assert (rows["春茶"][4]["spent"], rows["春茶"][5]["spent"]) == (
        Decimal("50.00"),
        Decimal("20.00"),
    )
    assert rows["年货节"][11]["planned"] == Decimal("155.00")  # 15 of its 30 days
    assert plan["quarters"][1] == {
        "quarter": 2,
        "planned": Decimal("900.00"),
        "spent": Decimal("70.00"),
    }
    assert plan["quarters"][3]["planned"] == Decimal("155.00")
    assert plan["planned"] == Decimal("1155.00")  # with the draft's 100 in March
    assert plan["months"][2]["planned"] == Decimal("100.00")
    assert annual_plan(2027)["planned"] == Decimal("155.00")


def test_cancelled_campaigns_are_left_out():
    made = campaign(starts_at=_at(7, 1), ends_at=_at(7, 10), budget="100", state="draft")
    campaigns.cancel_campaign(campaign=made, actor=made.owner, reason="改期")
    assert annual_plan(2026)["rows"] == []


def test_two_queries_whatever_the_campaigns(django_assert_max_num_queries):
    campaign(starts_at=_at(5, 1), ends_at=_at(5, 10), budget="100")
    with django_assert_max_num_queries(2):
        annual_plan(2026)
    for month in (2, 3, 4, 8, 9):
        made = campaign(starts_at=_at(month, 1), ends_at=_at(month + 1, 10), budget="100")
        _book(made, "10", _at(month, 5))
    with django_assert_max_num_queries(2):
        assert len(annual_plan(2026)["rows"]) == 6


def test_the_plan_page_in_the_admin(client):
    campaign(starts_at=_at(5, 12), ends_at=_at(6, 11), budget="900", name="春茶")
    client.force_login(operator())
    listing = client.get(reverse("admin:marketing_campaign_changelist"))
    assert 'id="annual-plan"' in listing.content.decode()
    page = client.get(reverse("admin:marketing_campaign_plan") + "?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    assert "春茶" in html and 'id="plan-quarters"' in html and "600.00" in html
    other = client.get(reverse("admin:marketing_campaign_plan") + "?year=2025")
    assert "春茶" not in other.content.decode()
