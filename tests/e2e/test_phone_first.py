"""Every storefront page a shopper reaches, on a phone (390 px) and a laptop (1366 px):
no page is wider than the screen, and a screenshot of each is kept in the artifacts.
On the phone the shop behaves as phone shops do: a bottom tab bar, the cart count as a
badge, filters in a drawer with the active ones as chips, the buy bar within reach."""

import re

import pytest

from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import PASSWORD, AddressFactory, UserFactory
from tests.orders.factories import place
from tests.orders.paying import pay

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE, LAPTOP = 390, 1366
# Wider than the viewport by more than this many pixels is an overflow.
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def shop(db):
    tea = tea_categories()
    goods = [
        make_listed_product(
            name="西湖龙井特级明前新茶礼盒装二百五十克送礼佳品" if n == 0 else f"绿茶{n}号",
            category=tea,
            prices=("4937.80", "12999.00") if n == 0 else ("45.00",),
            stock=8,
            image=True,
            featured=n < 2,
            attributes={"grade": "特级"},
        )
        for n in range(5)
    ]
    shopper = UserFactory(display_name="林夏")
    address = AddressFactory(user=shopper, recipient="林夏", province="浙江省", is_default=True)
    paid = place(user=shopper, address=address, items=[(goods[0].skus.first(), 1)])
    pay(paid)
    waiting = place(user=shopper, address=address, items=[(goods[1].skus.get(), 2)])
    return {"goods": goods, "shopper": shopper, "paid": paid, "waiting": waiting}


def _walk(browser, live_server, artifacts_dir, shop, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    product = shop["goods"][0]
    wide = []

    def visit(name, path):
        page.goto(base + path)
        page.wait_for_load_state()
        page.screenshot(path=str(artifacts_dir / f"phone-first-{width}-{name}.png"), full_page=True)
        excess = page.evaluate(OVERFLOW)
        if excess > 0:
            wide.append(f"{name} ({path}): {excess}px too wide")

    # As a guest first: what everyone sees, and the cached pages.
    visit("home", "/")
    visit("category", "/category/tea/")
    visit("category-filtered", "/category/tea/?price_min=10&a_grade=特级&in_stock=on")
    visit("search", "/search/?q=龙井")
    visit("product", f"/product/{product.pk}/")
    visit("reviews", f"/product/{product.pk}/reviews/")
    visit("flash-sales", "/flash-sales/")
    visit("coupons", "/coupons/")
    visit("help", "/help/")
    visit("login", "/accounts/login/")
    visit("register", "/accounts/register/")
    visit("not-found", "/product/999999/")

    # Into the cart from the product page (the buy bar), then signed in.
    page.goto(f"{base}/product/{shop['goods'][1].pk}/")
    page.click("#add-to-cart")
    page.wait_for_load_state()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", shop["shopper"].phone)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()

    visit("cart", "/cart/")
    visit("checkout", "/checkout/")
    visit("orders", "/orders/")
    visit("order-paid", f"/orders/{shop['paid'].number}/")
    visit("order-waiting", f"/orders/{shop['waiting'].number}/")
    visit("after-sales", "/after-sales/")
    visit("account", "/accounts/")
    visit("addresses", "/accounts/addresses/")
    visit("messages", "/accounts/messages/")
    visit("wallet", "/coupons/wallet/")
    visit("tickets", "/accounts/tickets/")
    return context, page, wide


@pytest.mark.parametrize("width", [PHONE, LAPTOP])
def test_no_storefront_page_is_wider_than_the_screen(
    browser, live_server, artifacts_dir, shop, width
):
    context, page, wide = _walk(browser, live_server, artifacts_dir, shop, width)
    try:
        assert wide == [], "\n".join(wide)
        # The cart holds one item: the badge in the header says so.
        assert page.locator(".site-header .cart-count").inner_text() == "1"
        tab_bar = page.locator(".tab-bar")
        assert tab_bar.is_visible() is (width == PHONE)
    finally:
        context.close()


def test_on_a_phone_filters_open_in_a_drawer_and_the_buy_bar_stays_in_reach(
    browser, live_server, artifacts_dir, shop
):
    context = browser.new_context(locale="zh-CN", viewport={"width": PHONE, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/")
        # Categories in one strip; goods two a row.
        strip = page.locator(".category-strip").bounding_box()
        assert strip["height"] < 80
        cards = page.locator("#featured .product-card")
        first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
        assert first["y"] == second["y"] and second["x"] > first["x"]

        page.goto(f"{live_server.url}/category/tea/")
        assert not page.locator(".filters").is_visible()
        page.click(".filter-open")
        assert page.locator(".filters").is_visible()
        page.check("input[name=in_stock]")
        page.fill('.filters input[name="price_min"]', "100")
        page.click(".filters button[type=submit]")
        page.wait_for_url(re.compile(r"price_min=100"))
        chips = page.locator(".filter-chips .chip")
        assert chips.count() == 2
        page.screenshot(path=str(artifacts_dir / "phone-first-chips.png"), full_page=False)
        # Removing a chip drops that filter only.
        page.locator(".filter-chips .chip", has_text="100").click()
        page.wait_for_load_state()
        assert "price_min" not in page.url and "in_stock=on" in page.url
        assert page.locator(".filter-chips .chip").count() == 1

        # The buy bar is on screen without scrolling, above the tab bar.
        page.goto(f"{live_server.url}/product/{shop['goods'][0].pk}/")
        bar = page.locator(".product-page .add-to-cart").bounding_box()
        tabs = page.locator(".tab-bar").bounding_box()
        assert bar["y"] + bar["height"] <= tabs["y"] + 1 and bar["y"] < 844
        page.click("#add-to-cart")
        page.wait_for_load_state()
        assert page.locator(".tab-bar .cart-count").inner_text() == "1"

        # The cart: a card per line, and the checkout bar on screen.
        page.goto(f"{live_server.url}/cart/")
        checkout = page.locator(".checkout-bar").bounding_box()
        assert checkout["y"] + checkout["height"] <= 844
        assert page.locator(".cart-line td[data-label]").count() > 0
        page.screenshot(path=str(artifacts_dir / "phone-first-cart.png"), full_page=False)
    finally:
        context.close()


def test_the_order_centre_tabs_confirm_receipt_and_buy_again_on_a_phone(
    browser, live_server, artifacts_dir, shop
):
    from orders.models import Order

    order = shop["paid"]
    Order.objects.filter(pk=order.pk).update(status=Order.Status.SHIPPED)  # parcels left
    context = browser.new_context(locale="zh-CN", viewport={"width": PHONE, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/orders/")
        page.fill("#id_username", shop["shopper"].phone)
        page.fill("#id_password", PASSWORD)
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(re.compile(r"/orders/$"))
        tabs = page.locator(".order-tabs")
        assert "待付款 1" in tabs.inner_text() and "待收货 1" in tabs.inner_text()
        page.click("[data-tab=to_receive]")
        page.wait_for_url(re.compile(r"tab=to_receive"))
        cards = page.locator(".order-card")
        assert cards.count() == 1 and order.number in cards.first.inner_text()
        assert page.evaluate(OVERFLOW) <= 0
        page.screenshot(path=str(artifacts_dir / "phone-first-order-centre.png"), full_page=True)

        page.click(".confirm-receipt")
        page.wait_for_load_state()
        assert "已标记为已收货" in page.locator(".messages").inner_text()
        order.refresh_from_db()
        assert order.status == Order.Status.DELIVERED and order.delivered_at is not None
        assert page.locator(".order-card").count() == 0  # nothing left to receive
        assert "待评价 1" in page.locator(".order-tabs").inner_text()

        page.click("[data-tab=to_review]")
        page.wait_for_url(re.compile(r"tab=to_review"))
        page.click(f"[data-order='{order.number}'] .buy-again")
        page.wait_for_url(re.compile(r"/cart/$"))
        assert "重新加入购物车" in page.locator(".messages").inner_text()
        assert "西湖龙井" in page.locator(".cart-lines").inner_text()
        assert page.locator(".site-header .cart-count").inner_text() == "1"
        page.screenshot(path=str(artifacts_dir / "phone-first-buy-again.png"), full_page=True)
    finally:
        context.close()
