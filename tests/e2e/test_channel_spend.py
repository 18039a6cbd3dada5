"""Channel spend imported in the browser: an operator opens *Channel spend*, imports a
CSV with a bad row and sees every bad row and nothing written, then the corrected file,
which is booked on the campaign's budget; the same file again imports nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import Campaign, CampaignSpend, Channel, ChannelSpend
from marketing.services.campaigns import channels
from tests.customers.factories import UserFactory
from tests.e2e.staff import staff_sign_in
from tests.marketing.campaign_helpers import campaign

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


def _file(*lines):
    body = "\n".join(["placement,date,amount,impressions,note", *lines]) + "\n"
    return {"name": "douyin-bill.csv", "mimeType": "text/csv", "buffer": body.encode()}


def test_an_operator_imports_a_channel_bill(page, live_server, artifacts_dir):
    operator = UserFactory(roles=["operator"], email="yun@mall.example")
    made = campaign(budget="1000")
    channel = Channel.objects.create(name="抖音", kind=Channel.Kind.SHORT_VIDEO, source="douyin")
    now = timezone.now()
    placement = channels.save_placement(
        actor=operator,
        data={
            "channel": channel,
            "campaign": made,
            "name": "达人短视频",
            "starts_at": now - 3 * DAY,
            "ends_at": now + 3 * DAY,
            "amount": Decimal("500"),
            "landing_page": "/",
        },
    )
    today = timezone.localdate()
    good = f"{placement.code},{today - DAY},120.00,8000,第一天"

    staff_sign_in(page, live_server, operator.email, "/admin/marketing/channelspend/")
    page.click("#import-spend")
    page.set_input_files("#id_file", _file(good, f"{placement.code},2020-01-01,abc,,"))
    page.click("input[type=submit].default")
    problems = page.locator("#import-problems")
    problems.wait_for()
    assert "第 3 行" in problems.inner_text()
    page.screenshot(path=str(artifacts_dir / "channel-spend-refused.png"), full_page=True)
    assert not ChannelSpend.objects.exists()

    page.set_input_files("#id_file", _file(good, f"{placement.code},{today},80.50,,"))
    page.click("input[type=submit].default")
    page.wait_for_url(f"{live_server.url}/admin/marketing/channelspend/")
    assert page.locator(".messagelist .success").count() == 1
    assert page.locator("#result_list tbody tr").count() == 2
    page.screenshot(path=str(artifacts_dir / "channel-spend-imported.png"), full_page=True)
    assert Campaign.objects.get(pk=made.pk).spent == Decimal("200.50")
    assert CampaignSpend.objects.filter(kind="channel", campaign=made).count() == 2

    page.click("#import-spend")
    page.set_input_files("#id_file", _file(good, f"{placement.code},{today},80.50,,"))
    page.click("input[type=submit].default")
    page.wait_for_url(f"{live_server.url}/admin/marketing/channelspend/")
    assert page.locator(".messagelist .warning").count() == 1
    assert ChannelSpend.objects.count() == 2
