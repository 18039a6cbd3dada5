"""The cart count in the header, kept in a cookie the page's script reads.

The header's badge cannot be rendered on the server: anonymous pages are cached and
served to every guest (``mall.pagecache``), so a count in the HTML would be one guest's
count shown to all. The count travels in a cookie instead, refreshed only by the
requests that can change it (adding, changing or removing a line, placing an order,
signing in, which merges a guest's cart) and by the cart page, which has it already;
``mall/behaviour.js`` puts it in the badge. Other requests run no query for it.
"""

from django.db.models import Sum

from .models import CartLine
from .views.cart import SESSION_CART, remember_cart_count

# The views whose POST can change what the cart holds.
CHANGES_CART = {
    ("orders", "cart_add"),
    ("orders", "cart_update"),
    ("orders", "cart_remove"),
    ("orders", "checkout"),
    ("customers", "login"),
}


def cart_count(request) -> int:
    user = request.user if request.user.is_authenticated else None
    cart_id = None if user else request.session.get(SESSION_CART)
    if user is None and not cart_id:
        return 0
    lines = (
        CartLine.objects.filter(cart__user=user)
        if user
        else CartLine.objects.filter(cart_id=cart_id, cart__user__isnull=True)
    )
    return lines.aggregate(total=Sum("quantity"))["total"] or 0


class CartCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            request.method == "POST"
            and match is not None
            and (match.namespace, match.url_name) in CHANGES_CART
            and response.status_code in (200, 302, 303)
        ):
            remember_cart_count(response, cart_count(request))
        return response
