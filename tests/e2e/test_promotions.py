"""Promotions and coupons in the browser, as a shopper meets them: a coupon claimed on a
product page, the cart filled until it says 满199减20 and hints the next tier, checkout
with the coupon ticked for them, payment on the sandbox, one item returned: the refund is
exactly what that item was allocated, and the coupon stays used (its template does not
return it on a partial refund)."""

import re
from decimal import Decimal

import pytest

from marketing.models import Coupon, CouponTemplate
from orders.models import AfterSalesCase, OrderDiscount, Refund
from tests.customers.factories import PASSWORD, AddressFactory, UserFactory
from tests.marketing.promo_helpers import manjian, template
from tests.orders.aftersales_helpers import agent, approved, delivered, inspected
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _add(page, live_server, sku, quantity=1):
    page.goto(f"{live_server.url}/product/{sku.product_id}/")
    page.fill("#quantity", str(quantity))
    page.click("#add-to-cart")
    page.wait_for_load_state()


def test_a_shopper_claims_a_coupon_reaches_a_tier_pays_and_returns_one_item(
    page, live_server, artifacts_dir
):
    tea = listed_sku(price="120.00", stock=10, name="明前龙井")
    bowl = listed_sku(price="45.00", stock=10, name="青瓷茶碗")
    manjian(("199", "20"), ("399", "50"), name="双12满减")
    coupon_template = template(name="满150减10", amount="10", threshold="150")
    assert not coupon_template.return_on_refund
    shopper = UserFactory(display_name="林夏")
    AddressFactory(user=shopper, recipient="林夏", province="浙江省", is_default=True)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", shopper.phone)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()

    # The product page shows the promotion and a coupon to claim.
    page.goto(f"{live_server.url}/product/{tea.product_id}/")
    assert "满199减20" in page.locator("#offers").inner_text()
    page.click(f"button.claim[data-template='{coupon_template.pk}']")
    page.wait_for_load_state()
    assert "满150减10" in page.locator(".messages").inner_text()
    assert "已领取" in page.locator("#coupons-to-claim").inner_text()
    page.screenshot(path=str(artifacts_dir / "promotions-product.png"), full_page=True)
    coupon = Coupon.objects.get(user=shopper)

    # One tea: the cart says how far 满199减20 is.
    _add(page, live_server, tea)
    page.goto(f"{live_server.url}/cart/")
    assert "再买¥79.00可减¥20" in page.locator("#hints").inner_text()
    # Two teas: 满199减20 applied, and the next tier hinted.
    _add(page, live_server, tea)
    page.goto(f"{live_server.url}/cart/")
    assert "满199减20：已减¥20.00" in page.locator("#discounts").inner_text()
    assert "再买¥159.00可减¥50" in page.locator("#hints").inner_text()
    # And a bowl; the coupon is counted too (the best one is chosen for the shopper).
    _add(page, live_server, bowl)
    page.goto(f"{live_server.url}/cart/")
    discounts = page.locator("#discounts").inner_text()
    assert "满199减20：已减¥20.00" in discounts and "优惠券：满150减10：已减¥10.00" in discounts
    assert "再买¥114.00可减¥50" in page.locator("#hints").inner_text()
    page.screenshot(path=str(artifacts_dir / "promotions-cart.png"), full_page=True)

    # Checkout: the coupon is ticked; 285 - 20 - 10, shipping free.
    page.click("#checkout")
    page.wait_for_url(re.compile(r"/checkout/$"))
    assert page.locator(f"input[name=coupon][value='{coupon.pk}']").is_checked()
    assert page.locator("#order-total").inner_text() == "¥255.00"
    page.screenshot(path=str(artifacts_dir / "promotions-checkout.png"), full_page=True)
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = shopper.orders.get()
    assert (order.goods_total, order.discount_total, order.total) == (
        Decimal("285.00"),
        Decimal("30.00"),
        Decimal("255.00"),
    )
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order_id) == (Coupon.Status.USED, order.pk)
    text = page.locator(".totals").inner_text()
    assert "满199减20" in text and "优惠券：满150减10" in text

    # Pay on the sandbox.
    page.click("#pay")
    page.wait_for_url(re.compile(r"/payments/sandbox/"))
    assert page.locator("#trade-amount").inner_text() == "¥255.00"
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))
    order.refresh_from_db()
    assert order.status == "paid"

    # Delivered; the shopper returns the bowl without a reason.
    order = delivered(order)
    bowl_line = order.lines.get(sku=bowl)
    allocated = bowl_line.paid_total
    # The bowl's share of 满199减20 (20 x 45 / 285) and of the coupon (10 x 41.84 / 265).
    assert bowl_line.discount_total == Decimal("4.74") and allocated == Decimal("40.26")
    page.goto(f"{live_server.url}/orders/{order.number}/")
    page.click("#ask-after-sales")
    page.wait_for_url(re.compile(rf"/after-sales/request/{order.number}/$"))
    page.check("input[name=kind][value=return]")
    page.select_option("#id_reason", "no_reason")
    for line in order.lines.all():
        page.fill(f"#id_line_{line.pk}", "1" if line.pk == bowl_line.pk else "0")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/after-sales/AS\d+/$"))
    case = AfterSalesCase.objects.get(order=order)
    approved(case, by=agent())
    page.reload()
    page.select_option("#id_carrier", "sf")
    page.fill("#id_tracking_number", "SF1400012345678")
    page.click("#send-back-submit")
    page.wait_for_load_state()
    case = inspected(AfterSalesCase.objects.get(pk=case.pk)).case

    # Exactly what the bowl was allocated comes back; the rest still reaches 满199 and
    # the coupon's 150, so nothing is kept back.
    case.refresh_from_db()
    assert (case.status, case.refund_amount, case.shipping_refund) == (
        "refunded",
        allocated,
        Decimal("0.00"),
    )
    assert Refund.objects.get().amount == allocated
    page.reload()
    assert page.locator("#refund-total").inner_text() == "¥40.26"
    page.screenshot(path=str(artifacts_dir / "promotions-returned.png"), full_page=True)
    # The coupon stays used: a partial refund, and its template does not return it.
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED
    page.goto(f"{live_server.url}/coupons/wallet/?tab=used")
    assert "满150减10" in page.locator("#wallet-coupons").inner_text()
    assert OrderDiscount.objects.filter(order=order).count() == 2
    assert CouponTemplate.objects.get().issued == 1
