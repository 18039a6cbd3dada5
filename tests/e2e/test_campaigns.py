"""A campaign in the browser, end to end: an operator drafts it in the admin and submits
it, with a coupon and a 满减 rule of its own; a manager approves it; a shopper arrives
through a placement's tracked link, claims the coupon and buys; the operator's live page,
open all along, shows the spend and the order without being reloaded."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketing.admin import campaigns as campaign_admin
from marketing.models import Campaign, Channel, Coupon
from marketing.services import campaigns
from marketing.services.campaigns import channels
from tests.customers.factories import PASSWORD, AddressFactory, UserFactory
from tests.e2e.staff import staff_sign_in
from tests.marketing.promo_helpers import manjian, template
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONTEXT = {"locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


def _run_action(admin, pk, action, reason=None):
    admin.goto(admin.url.split("?")[0])
    admin.check(f"input[name=_selected_action][value='{pk}']")
    admin.select_option("select[name=action]", action)
    admin.locator("button[name=index]").click()
    if reason is not None:
        admin.wait_for_selector("#id_reason")
        admin.fill("#id_reason", reason)
        admin.locator("input[type=submit].default").click()
    admin.wait_for_url(re.compile(r"/admin/marketing/campaign/$"))
    assert admin.locator(".messagelist .success").count() == 1, admin.content()


def test_a_campaign_is_planned_approved_and_watched_while_a_shopper_buys(
    browser, page, live_server, artifacts_dir, monkeypatch
):
    monkeypatch.setattr(campaign_admin, "POLL_SECONDS", 1)
    tea = listed_sku(price="120.00", stock=10, name="明前龙井")
    operator = UserFactory(roles=["operator"], email="yun@mall.example")
    boss = UserFactory(roles=["manager"], email="boss@mall.example")
    shopper = UserFactory(display_name="林夏")
    AddressFactory(user=shopper, recipient="林夏", province="浙江省", is_default=True)
    now = timezone.localtime()

    # The operator drafts the plan in the admin and submits it.
    context = browser.new_context(**CONTEXT)
    admin = context.new_page()
    admin.set_default_timeout(15_000)
    staff_sign_in(admin, live_server, operator.email, "/admin/marketing/campaign/add/")
    admin.fill("#id_name", "双十二茶季")
    admin.fill("#id_theme", "冬茶上新")
    admin.fill("#id_goal_gmv", "5000")
    admin.fill("#id_goal_orders", "20")
    admin.fill("#id_starts_at_0", (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%d"))
    admin.fill("#id_starts_at_1", (now - datetime.timedelta(hours=1)).strftime("%H:%M:%S"))
    admin.fill("#id_ends_at_0", (now + datetime.timedelta(days=2)).strftime("%Y-%m-%d"))
    admin.fill("#id_ends_at_1", "23:00:00")
    admin.fill("#id_budget", "100")
    admin.fill("#id_cost_estimate", "80")
    admin.fill("#id_risk_assessment", "库存可能不足")
    admin.fill("#id_contingency_plan", "备货两倍，超预算即停")
    admin.select_option("#id_owner", str(operator.pk))
    admin.screenshot(path=str(artifacts_dir / "campaign-draft.png"), full_page=True)
    admin.locator("input[name=_save]").click()
    admin.wait_for_url(re.compile(r"/admin/marketing/campaign/$"))
    made = Campaign.objects.get(name="双十二茶季")
    assert (made.status, made.created_by_id, made.budget) == ("draft", operator.pk, Decimal("100"))
    # Its coupon and its 满减 rule, booked against its budget.
    coupon_template = template(name="茶季券", amount="10", threshold="100", campaign=made)
    manjian(("100", "20"), name="茶季满100减20", campaign=made, actor=operator)
    _run_action(admin, made.pk, "submit")
    # The author may not approve it.
    made.refresh_from_db()
    assert made.status == "submitted"

    # A manager approves it.
    manager_context = browser.new_context(**CONTEXT)
    manager = manager_context.new_page()
    manager.set_default_timeout(15_000)
    staff_sign_in(manager, live_server, boss.email, "/admin/marketing/campaign/?approval=mine")
    assert "双十二茶季" in manager.locator("#result_list").inner_text()
    _run_action(manager, made.pk, "approve", reason="预算合理")
    manager_context.close()
    made.refresh_from_db()
    assert (made.status, made.approved_by_id) == ("approved", boss.pk)
    campaigns.advance_campaigns()  # the clock job: its start has come
    douyin = Channel.objects.create(name="抖音", kind=Channel.Kind.SHORT_VIDEO, source="douyin")
    placement = channels.save_placement(
        actor=operator,
        data={
            "channel": douyin,
            "campaign": made,
            "name": "达人探店",
            "starts_at": made.starts_at,
            "ends_at": made.ends_at,
            "amount": Decimal("30"),
            "landing_page": f"/product/{tea.product_id}/",
        },
    )

    # The operator keeps the live page open.
    admin.goto(f"{live_server.url}/admin/marketing/campaign/{made.pk}/live/")
    assert admin.locator("[data-figure=orders_placed]").inner_text() == "0"

    # The shopper follows the tracked link, claims the coupon, and buys.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", shopper.phone)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/go/{placement.code}")
    page.wait_for_url(re.compile(rf"/product/{tea.product_id}/\?utm_source=douyin"))
    assert f"utm_campaign={placement.code}" in page.url
    assert "满100减20" in page.locator("#offers").inner_text()
    page.click(f"button.claim[data-template='{coupon_template.pk}']")
    page.wait_for_load_state()
    page.fill("#quantity", "1")
    page.click("#add-to-cart")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/cart/")
    page.click("#checkout")
    page.wait_for_url(re.compile(r"/checkout/$"))
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = shopper.orders.get()
    assert order.discount_total == Decimal("30.00")  # 满100减20 and the 10 coupon
    page.click("#pay")
    page.wait_for_url(re.compile(r"/payments/sandbox/"))
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))
    assert Coupon.objects.get(user=shopper).status == Coupon.Status.USED

    # The live page caught up by itself: spend, orders, GMV, coupons.
    expect(admin.locator("[data-figure=orders_paid]")).to_have_text("1", timeout=15_000)
    assert admin.locator("[data-figure=spent]").inner_text() == "30.00"
    assert admin.locator("[data-figure=spent_share]").inner_text() == "30.00"
    assert admin.locator("[data-figure=coupons_used]").inner_text() == "1"
    assert admin.locator("[data-figure=gmv]").inner_text() == str(order.total)
    assert "明前龙井" in admin.locator("#live-top-items").inner_text()
    admin.screenshot(path=str(artifacts_dir / "campaign-live.png"), full_page=True)
    placement.refresh_from_db()
    assert placement.clicks == 1
    context.close()
