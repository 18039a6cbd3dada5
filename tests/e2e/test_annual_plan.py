"""The annual plan in the browser: a manager opens it from the campaigns list, sees the
year's campaigns on the month grid with planned and spent per quarter, and moves to the
next year."""

import datetime
import zoneinfo

import pytest

from tests.customers.factories import UserFactory
from tests.e2e.staff import staff_sign_in
from tests.marketing.campaign_helpers import campaign

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_manager_reads_the_annual_plan(page, live_server, artifacts_dir):
    boss = UserFactory(roles=["manager"], email="boss@mall.example")
    year = datetime.date.today().year
    campaign(
        name="年货节",
        budget="900",
        state="approved",
        starts_at=datetime.datetime(year + 1, 5, 12, tzinfo=SHANGHAI),
        ends_at=datetime.datetime(year + 1, 6, 11, tzinfo=SHANGHAI),
    )

    staff_sign_in(page, live_server, boss.email, "/admin/marketing/campaign/")
    page.click("#annual-plan")
    page.wait_for_selector("#plan-previous")
    page.click("#plan-next")
    page.wait_for_selector("#plan-grid")
    assert "年货节" in page.locator("#plan-grid").inner_text()
    quarter_two = page.locator("#plan-quarters tbody tr").nth(1).inner_text()
    assert "900.00" in quarter_two
    assert page.locator("#plan-grid td.runs").count() == 2
    page.screenshot(path=str(artifacts_dir / "annual-plan.png"), full_page=True)
