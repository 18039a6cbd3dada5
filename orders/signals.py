"""The one signal receiver of orders: a guest who signs in keeps what they put in the
cart. Connected in ``OrdersConfig.ready``."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .services import cart as carts
from .views.cart import SESSION_CART


@receiver(user_logged_in, dispatch_uid="orders-merge-guest-cart")
def merge_guest_cart(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    cart_id = request.session.pop(SESSION_CART, None)
    if cart_id:
        carts.merge_carts(guest_cart=carts.cart_of(cart_id=cart_id), user=user)
