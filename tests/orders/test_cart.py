"""The cart: guests and shoppers add, change and remove lines; every view re-checks the
lines against the goods as they are now; a guest's cart joins theirs when they sign in."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import ProductPair
from catalog.services import pricing
from orders.exceptions import CartError
from orders.models import Cart, CartLine
from orders.services import cart as carts
from tests.concurrency import race
from tests.customers.factories import PASSWORD, UserFactory
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


def _add(client, sku, quantity=1, **extra):
    return client.post(reverse("orders:cart_add"), {"sku": sku.pk, "quantity": quantity, **extra})


def test_a_guest_fills_a_cart_kept_in_their_session(client, tea):
    assert _add(client, tea, 2).status_code == 302
    assert _add(client, tea, 1).status_code == 302
    cart = Cart.objects.get()
    assert cart.user is None and cart.session_key == client.session.session_key
    assert list(cart.lines.values_list("sku_id", "quantity", "price_seen")) == [
        (tea.pk, 3, Decimal("45.00"))
    ]
    page = client.get(reverse("orders:cart"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "龙井" in body and 'id="goods-total">¥135.00' in body
    # Another guest sees none of it.
    client.cookies.clear()
    assert "Your cart is empty" in client.get(reverse("orders:cart")).content.decode()


def test_lines_are_re_checked_on_every_view_with_clear_messages(client, tea, settings):
    other = listed_sku(price="20.00", stock=5, name="白茶")
    _add(client, tea, 4)
    _add(client, other, 2)
    # Meanwhile: the tea's price rises, stock runs short, the other goods are delisted.
    pricing.set_price(sku=tea, amount="49.00", actor=None, reason="调价")
    from catalog.services import inventory

    inventory.reserve(sku=tea, quantity=8)
    other.product.status = "delisted"
    other.product.save(update_fields=["status"])

    body = client.get(reverse("orders:cart")).content.decode()
    assert "The price changed from ¥45.00 to ¥49.00 since you added it." in body
    assert "Only 2 of" in body and "is no longer on sale" in body
    assert 'id="checkout"' not in body  # checking out waits until the cart is fixed
    # The change is told once; the problems stay until fixed.
    again = client.get(reverse("orders:cart")).content.decode()
    assert "The price changed" not in again and "Only 2 of" in again

    client.post(reverse("orders:cart_update"), {"sku": tea.pk, "quantity": 2})
    client.post(reverse("orders:cart_remove"), {"sku": other.pk})
    fixed = client.get(reverse("orders:cart")).content.decode()
    assert 'id="checkout"' in fixed and 'id="goods-total">¥98.00' in fixed


def test_bad_cart_input_is_refused_and_changes_nothing(client, tea):
    _add(client, tea, 2)
    for quantity in (0, -1, 100, "many"):
        response = _add(client, tea, quantity)
        assert response.status_code == 302
    assert CartLine.objects.get().quantity == 2
    response = _add(client, tea, 9, next="/cart/")
    assert response["Location"] == "/cart/"
    assert CartLine.objects.get().quantity == 2  # 11 > 10 in stock: refused
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Only 10" in m for m in messages)
    # A next pointing out of the shop is ignored.
    assert _add(client, tea, 1, next="https://evil.example/")["Location"] == "/cart/"
    assert client.post(reverse("orders:cart_add"), {"sku": 999999}).status_code == 302
    assert (
        client.post(reverse("orders:cart_update"), {"sku": tea.pk, "quantity": "x"}).status_code
        == 302
    )
    assert CartLine.objects.get().quantity == 3
    assert client.get(reverse("orders:cart_add")).status_code == 405


def test_setting_zero_removes_and_removing_twice_is_harmless(client, tea):
    _add(client, tea, 2)
    client.post(reverse("orders:cart_update"), {"sku": tea.pk, "quantity": 0})
    assert not CartLine.objects.exists()
    assert client.post(reverse("orders:cart_remove"), {"sku": tea.pk}).status_code == 302


def test_a_guest_cart_joins_the_shoppers_cart_when_they_sign_in(client, tea):
    shopper = UserFactory()
    other = listed_sku(price="20.00", stock=5, name="白茶")
    mine = carts.open_cart(user=shopper)
    carts.add_to_cart(cart=mine, sku_id=tea.pk, quantity=1)
    _add(client, tea, 2)
    _add(client, other, 1)
    response = client.post(
        reverse("customers:login"), {"username": shopper.phone, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert Cart.objects.count() == 1
    assert dict(mine.lines.values_list("sku_id", "quantity")) == {tea.pk: 3, other.pk: 1}
    assert "cart_id" not in client.session
    body = client.get(reverse("orders:cart")).content.decode()
    assert "白茶" in body and 'value="3"' in body


def test_the_service_refuses_what_cannot_be_ordered(tea):
    shopper = UserFactory()
    cart = carts.open_cart(user=shopper)
    assert carts.open_cart(user=shopper).pk == cart.pk
    with pytest.raises(CartError, match="between 1 and 99"):
        carts.add_to_cart(cart=cart, sku_id=tea.pk, quantity=0)
    with pytest.raises(CartError, match="Only 10"):
        carts.add_to_cart(cart=cart, sku_id=tea.pk, quantity=11)
    with pytest.raises(CartError, match="no longer in your cart"):
        carts.set_quantity(cart=cart, sku_id=tea.pk, quantity=1)
    with pytest.raises(CartError, match="session has expired"):
        carts.open_cart(user=None, session_key=None)
    assert not CartLine.objects.exists()


def _cart_page_queries(client, shopper, lines) -> tuple[int, str]:
    """The cart page of ``shopper`` with ``lines`` lines whose prices all moved since they
    were added (so the page also notes the prices shown): its queries and its body."""
    cart = carts.open_cart(user=shopper)
    for index in range(lines):
        sku = listed_sku(price="10.00", stock=5, name=f"茶{index}")
        carts.add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
        pricing.set_price(sku=sku, amount="12.00", actor=None, reason="调价")
    client.force_login(shopper)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("orders:cart"))
    return len(captured.captured_queries), page.content.decode()


@pytest.mark.parametrize("lines", [1, 12])
@pytest.mark.usefixtures("rules_kept")
def test_the_cart_page_runs_a_fixed_number_of_queries(client, lines, django_assert_max_num_queries):
    shopper = UserFactory()
    cart = carts.open_cart(user=shopper)
    for index in range(lines):
        sku = listed_sku(price="10.00", stock=5, name=f"茶{index}")
        carts.add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
        # Something bought with each line, so 为你推荐 grows with the cart.
        cup = listed_sku(price="8.00", stock=5, name=f"茶杯{index}")
        ProductPair.objects.create(
            product_id=sku.product_id,
            other_id=cup.product_id,
            orders=2,
            support="0.1",
            confidence="0.5",
            lift=str(2 + index),
            computed_at=timezone.now(),
        )
    client.force_login(shopper)
    # Seven (the version of the promotions and coupons among them), the shopper's tier and
    # points balance, and 为你推荐's three at most (the pairs, the segment's best sellers when
    # the pairs fall short, the goods).
    with django_assert_max_num_queries(11):
        page = client.get(reverse("orders:cart"))
    body = page.content.decode()
    assert body.count('class="cart-line') == lines
    assert body.count('data-rec-slot="for_you"') == 1
    assert body.count('class="product-card"') == min(lines, 6)


@pytest.mark.usefixtures("rules_kept")
def test_the_cart_page_notes_moved_prices_in_the_same_queries_for_one_line_or_many(client):
    one, one_body = _cart_page_queries(client, UserFactory(), 1)
    many_shopper = UserFactory()
    many, many_body = _cart_page_queries(client, many_shopper, 12)
    assert one_body.count("line-price-changed") == 1 and many_body.count("line-price-changed") == 12
    assert "The price changed from ¥10.00 to ¥12.00 since you added it." in many_body
    # The page's eight (the version of the promotions and coupons, the shopper's tier and
    # points among them), and one UPDATE noting every price shown.
    assert one == many <= 9
    # Noted: every line's price is now the one shown, and the change is told once.
    seen = CartLine.objects.filter(cart__user=many_shopper).values_list("price_seen", flat=True)
    assert list(seen) == [Decimal("12.00")] * 12
    assert "line-price-changed" not in client.get(reverse("orders:cart")).content.decode()


def test_two_first_adds_of_one_item_at_once_make_one_line(transactional_db):
    # A double click on "add to cart": both requests find no line yet.
    sku = listed_sku(price="45.00", stock=20)
    shopper = UserFactory()
    for _round in range(3):
        CartLine.objects.all().delete()
        _added, errors = race(
            lambda i: carts.add_to_cart(
                cart=carts.open_cart(user=shopper), sku_id=sku.pk, quantity=1
            ),
            4,
        )
        assert errors == []  # any error is the failure
        assert Cart.objects.filter(user=shopper).count() == 1
        assert list(CartLine.objects.values_list("quantity", flat=True)) == [4]
