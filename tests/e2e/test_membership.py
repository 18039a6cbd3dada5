"""Membership in the browser, as a shopper meets it: the member centre shows the tier,
the progress and the points; checkout offers the points, the shopper ticks them and pays
the rest on the sandbox; one of two items is returned and half of the points come back."""

import re
from decimal import Decimal

import pytest

from marketing.models import PointsAccount
from tests.customers.factories import PASSWORD, AddressFactory, UserFactory
from tests.marketing.loyalty_helpers import give_points, tiers
from tests.orders.aftersales_helpers import agent, approved, delivered, inspected
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_shopper_sees_tier_and_points_spends_them_and_gets_them_back_on_a_return(
    page, live_server, artifacts_dir
):
    tiers(silver=("2000", 3))
    tea = listed_sku(price="100.00", stock=10, name="明前龙井")
    shopper = UserFactory(display_name="林夏")
    AddressFactory(user=shopper, recipient="林夏", province="浙江省", is_default=True)
    give_points(shopper, 12000)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", shopper.phone)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()

    page.click(".account-menu summary")
    page.click("#member-centre-link")
    page.wait_for_url(re.compile(r"/membership/$"))
    assert page.locator(".tier-name").inner_text() == "普通会员"
    assert "银卡" in page.locator("#progress").inner_text()
    assert page.locator("#points-balance").inner_text() == "12000"
    page.screenshot(path=str(artifacts_dir / "membership-centre.png"), full_page=True)

    page.goto(f"{live_server.url}/product/{tea.product_id}/")
    page.fill("#quantity", "2")
    page.click("#add-to-cart")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/cart/")
    page.click("#checkout")
    page.wait_for_url(re.compile(r"/checkout/$"))
    # 200.00 of goods: at most half by points, 10,000 of the 12,000.
    use = page.locator("input[name=points][value=use]")
    assert "10000" in page.locator("body").inner_text()
    use.check()  # the page recalculates with the points
    page.wait_for_url(re.compile(r"points=use"))
    page.wait_for_load_state()
    assert page.locator("input[name=points][value=use]").is_checked()
    assert "10000 积分：抵 ¥100.00" in page.locator("#totals").inner_text()
    assert page.locator("#order-total").inner_text() == "¥100.00"
    page.screenshot(path=str(artifacts_dir / "membership-checkout.png"), full_page=True)
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = shopper.orders.get()
    assert (order.discount_total, order.total) == (Decimal("100.00"), Decimal("100.00"))
    assert PointsAccount.objects.get(user=shopper).balance == 2000

    page.click("#pay")
    page.wait_for_url(re.compile(r"/payments/sandbox/"))
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))

    # Delivered; one of the two teas goes back without a reason.
    order = delivered(order)
    line = order.lines.get()
    page.goto(f"{live_server.url}/orders/{order.number}/")
    page.click("#ask-after-sales")
    page.wait_for_url(re.compile(rf"/after-sales/request/{order.number}/$"))
    page.check("input[name=kind][value=return]")
    page.select_option("#id_reason", "no_reason")
    page.fill(f"#id_line_{line.pk}", "1")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/after-sales/AS\d+/$"))
    from orders.models import AfterSalesCase

    case = AfterSalesCase.objects.get(order=order)
    approved(case, by=agent())
    page.reload()
    page.select_option("#id_carrier", "sf")
    page.fill("#id_tracking_number", "SF1400012345678")
    page.click("#send-back-submit")
    page.wait_for_load_state()
    case = inspected(AfterSalesCase.objects.get(pk=case.pk)).case
    assert case.refund_amount == Decimal("50.00")

    page.goto(f"{live_server.url}/membership/")
    assert page.locator("#points-balance").inner_text() == "7000"
    assert "+5000" in page.locator("#points-history").inner_text()
    page.screenshot(path=str(artifacts_dir / "membership-returned.png"), full_page=True)
