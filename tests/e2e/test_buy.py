"""A shopper buys in the browser as people do: from the product page into the cart as a
guest, signs in at checkout, places the order, pays on the sandbox provider's page, finds
the order paid in the list; then orders again, cancels, and sees the stock come back."""

import re

import pytest

from catalog.services import inventory
from orders.models import Order
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import PASSWORD, AddressFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tea(db):
    product = make_listed_product(
        name="明前龙井", category=tea_categories(), prices=("45.00",), stock=6, image=True
    )
    return product.skus.get()


def test_a_shopper_goes_from_the_product_page_to_a_paid_order_and_cancels_another(
    page, live_server, artifacts_dir, tea
):
    shopper = UserFactory(display_name="林夏")
    AddressFactory(user=shopper, recipient="林夏", province="浙江省", is_default=True)
    product_url = f"{live_server.url}/product/{tea.product_id}/"

    # As a guest: two into the cart from the product page.
    page.goto(product_url)
    page.fill("#quantity", "2")
    page.click("#add-to-cart")
    page.wait_for_load_state()
    assert "明前龙井" in page.locator(".messages").inner_text()
    page.click(".cart-link")
    page.wait_for_url(re.compile(r"/cart/$"))
    assert page.locator("#goods-total").inner_text() == "¥90.00"
    page.screenshot(path=str(artifacts_dir / "buy-cart.png"), full_page=True)

    # Checkout asks to sign in; the guest's cart is still there afterwards.
    page.click("#checkout")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", shopper.phone)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/checkout/$"))
    assert page.locator("#shipping-fee").inner_text() == "¥10.00"
    assert page.locator("#order-total").inner_text() == "¥100.00"
    # Express costs more: the totals follow the choice.
    page.check("input[name=shipping_method][value=express]")
    page.wait_for_url(re.compile(r"shipping_method=express"))
    assert page.locator("#order-total").inner_text() == "¥110.00"
    page.screenshot(path=str(artifacts_dir / "buy-checkout.png"), full_page=True)
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(user=shopper)
    assert order.total == 110 and order.status == "pending_payment"
    assert inventory.available_units(tea) == 4

    # Pay on the sandbox provider's hosted page.
    page.click("#pay")
    page.wait_for_url(re.compile(r"/payments/sandbox/"))
    assert page.locator("#trade-amount").inner_text() == "¥110.00"
    page.screenshot(path=str(artifacts_dir / "buy-sandbox-pay.png"), full_page=True)
    page.click("#sandbox-pay")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))
    order.refresh_from_db()
    assert order.status == "paid"
    assert page.locator("#order-status").inner_text() == "已付款"
    assert list(order.timeline.values_list("transition", flat=True)) == ["place", "pay"]
    assert len(page.locator("#timeline li").all()) == 2
    page.screenshot(path=str(artifacts_dir / "buy-paid.png"), full_page=True)

    # The order list shows it, paid.
    page.goto(f"{live_server.url}/orders/")
    card = page.locator(f"[data-order='{order.number}']")
    assert "已付款" in card.inner_text() and "¥110.00" in card.inner_text()

    # Buy now, then change one's mind: cancelled, and the units are on sale again.
    page.goto(product_url)
    page.fill("#quantity", "3")
    page.click("#buy-now")
    page.wait_for_url(re.compile(r"/checkout/$"))
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    second = Order.objects.exclude(pk=order.pk).get(user=shopper)
    assert inventory.available_units(tea) == 1
    page.goto(product_url)
    assert "1" in page.locator("#stock-state").inner_text()
    page.goto(f"{live_server.url}/orders/{second.number}/")
    page.fill("#id_reason", "买多了")
    page.click("#cancel")
    page.wait_for_load_state()
    second.refresh_from_db()
    assert second.status == "cancelled"
    assert "买多了" in page.locator("#timeline").inner_text()
    assert inventory.available_units(tea) == 4
    page.goto(product_url)
    assert "4" in page.locator("#stock-state").inner_text()
    page.screenshot(path=str(artifacts_dir / "buy-cancelled-stock-back.png"), full_page=True)
