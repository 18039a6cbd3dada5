"""The shopper's cart: add from a product page, change quantities, remove lines. Guests
have a cart too (its id lives in their session); it joins their own cart when they sign
in (``orders.signals``)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors as catalog_selectors

from ..exceptions import CartError
from ..forms.checkout import AddToCartForm, CartLineForm
from ..models import Cart
from ..selectors import orders as selectors
from ..services import cart as carts

SESSION_CART = "cart_id"
# The header's cart badge reads this cookie (see orders/middleware.py for why a cookie).
CART_COUNT_COOKIE = "mall_cart_count"


def remember_cart_count(response, count: int) -> None:
    # Not HttpOnly: the page's own script shows it, and it says nothing to hide.
    response.set_cookie(CART_COUNT_COOKIE, str(count), max_age=30 * 24 * 3600, samesite="Lax")


def shopper_cart(request) -> Cart | None:
    return carts.cart_of(user=request.user, cart_id=request.session.get(SESSION_CART))


def open_cart(request) -> Cart:
    if not request.user.is_authenticated and not request.session.session_key:
        request.session.save()  # a guest's first add: the cart needs a session to hang on
    cart = carts.open_cart(user=request.user, session_key=request.session.session_key)
    if cart.user_id is None:
        request.session[SESSION_CART] = cart.pk
    return cart


def safe_next(request, default: str) -> str:
    """The ``next`` field when it points into the shop, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def cart(request):
    view = selectors.cart_view(shopper_cart(request), user=request.user)
    # 为你推荐: three queries at most whatever the cart holds; empty without a source.
    for_you = catalog_selectors.recommended_for_basket(
        catalog_selectors.FOR_YOU,
        product_ids=[line.sku.product_id for line in view.lines if line.sku],
        user_id=request.user.pk if request.user.is_authenticated else None,
        limit=settings.MALL_RECOMMENDATION_SLOT_SIZE,
    )
    response = render(request, "orders/cart.html", {"view": view, "for_you": for_you})
    remember_cart_count(response, view.count)
    carts.note_prices_shown(view)  # a price change is told once
    return response


@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    back = safe_next(request, "orders:cart")
    if not form.is_valid():
        messages.error(request, _("Choose a variant and a quantity between 1 and 99."))
        return redirect(back)
    try:
        line = carts.add_to_cart(
            cart=open_cart(request),
            sku_id=form.cleaned_data["sku"],
            quantity=form.cleaned_data["quantity"],
        )
    except CartError as error:
        messages.error(request, str(error))
        return redirect(back)
    if request.POST.get("buy_now"):
        return redirect("orders:checkout")
    messages.success(
        request,
        _("Added to your cart: %(sku)s (now %(quantity)s).")
        % {"sku": line.sku, "quantity": line.quantity},
    )
    return redirect(back)


@require_POST
def cart_update(request):
    form = CartLineForm(request.POST)
    cart = shopper_cart(request)
    if cart is None or not form.is_valid():
        messages.error(request, _("Enter a quantity between 0 and 99."))
        return redirect("orders:cart")
    try:
        carts.set_quantity(
            cart=cart, sku_id=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"]
        )
    except CartError as error:
        messages.error(request, str(error))
    return redirect("orders:cart")


@require_POST
def cart_remove(request):
    cart = shopper_cart(request)
    try:
        sku_id = int(request.POST.get("sku", ""))
    except ValueError:
        sku_id = None
    if cart is not None and sku_id and carts.remove_from_cart(cart=cart, sku_id=sku_id):
        messages.success(request, _("The item was removed from your cart."))
    return redirect("orders:cart")
