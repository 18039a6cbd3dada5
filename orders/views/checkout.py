"""Checkout: the cart's lines to one of the shopper's addresses, by a shipping method,
with an optional invoice; every amount shown line by line from ``compute_totals``.

The page carries an idempotency key (a double click or a resubmitted form gives the same
order) and the total the shopper saw (a price that moved meanwhile is shown, not charged).
"""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mall.tracking import record_event

from ..exceptions import OrderRefused, TotalChanged
from ..forms.checkout import CheckoutForm
from ..selectors import orders as selectors
from ..services import ordering
from ..services.checkout import SHIPPING_METHODS, read_choices
from .cart import shopper_cart


def _choice(form, name, default=None):
    """The value of ``name`` the page shows: posted, else asked for in the query string,
    else ``default``."""
    value = form.data.get(name) if form.is_bound else None
    return value or default


@login_required
def checkout(request):
    if request.method != "POST":
        return _checkout(request)
    # The key first, under its lock: a repeated submit (double click, reload), even one
    # arriving while the first is being placed, waits for it and is answered with the
    # same order rather than with the cart the first one emptied.
    key = request.POST.get("idempotency_key", "")[:64]
    with ordering.submission(user=request.user, idempotency_key=key) as placed:
        if placed is None:
            return _checkout(request)
    return redirect("orders:order_detail", placed.number)


def _checkout(request):
    cart = shopper_cart(request)
    addresses = list(request.user.addresses.order_by("-is_default", "pk"))
    form = CheckoutForm(request.POST or None, user=request.user)
    # The address and method the totals are for: posted, chosen in the query string
    # ("recalculate" without JavaScript), or the defaults.
    wanted = str(_choice(form, "address", request.GET.get("address")) or "")
    address = next(
        (a for a in addresses if str(a.pk) == wanted), addresses[0] if addresses else None
    )
    method = _choice(form, "shipping_method", request.GET.get("shipping_method"))
    method = method if method in SHIPPING_METHODS else "standard"
    # The coupon and gift cards chosen: posted, or in the query string (recalculated).
    choices = read_choices(request.POST if request.method == "POST" else request.GET)
    priced = {
        "province": address.province if address else "",
        "method": method,
        "choices": choices,
    }
    view = selectors.cart_view(cart, user=request.user, **priced)
    if not view.orderable or view.problems:
        for problem in view.problems:
            messages.error(request, problem)
        if not view.problems:
            messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart")

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = ordering.place_order(
                user=request.user,
                address=data["address"],
                items=[(line.sku_id, line.quantity) for line in view.lines],
                shipping_method=data["shipping_method"],
                idempotency_key=data["idempotency_key"],
                invoice_title=data["invoice_title"],
                tax_number=data["tax_number"],
                expected_total=data["expected_total"],
                cart=cart,
                choices=choices,
            )
        except TotalChanged as error:
            messages.warning(request, str(error))
        except OrderRefused as error:
            for problem in error.problems:
                messages.error(request, problem)
        else:
            messages.success(
                request,
                _("Order %(number)s is placed. Please pay within %(minutes)s minutes.")
                % {"number": order.number, "minutes": settings.MALL_PAYMENT_TIMEOUT_MINUTES},
            )
            return redirect("orders:order_detail", order.number)
        # Refused: the cart as it is now (a price moved, stock ran short).
        view = selectors.cart_view(shopper_cart(request), user=request.user, **priced)

    if not form.is_bound:
        record_event("checkout_start")
    key = form.data.get("idempotency_key") if form.is_bound else None
    initial = {
        "address": address.pk if address else None,
        "shipping_method": method,
        "idempotency_key": key or uuid.uuid4().hex,
        "expected_total": view.totals.total,
        "invoice_title": request.GET.get("invoice_title", "")[:100],
        "tax_number": request.GET.get("tax_number", "")[:20],
    }
    if form.is_bound:
        # Redisplayed: keep what the shopper typed, with the totals as they are now.
        data = form.data.copy()
        data.update(
            {
                "expected_total": str(view.totals.total),
                "idempotency_key": initial["idempotency_key"],
            }
        )
        form = CheckoutForm(data, user=request.user)
        form.is_valid()
    else:
        form = CheckoutForm(initial=initial, user=request.user)
    context = {
        "form": form,
        "view": view,
        "addresses": addresses,
        "address": address,
        "method": method,
        "free_over": settings.MALL_FREE_SHIPPING_OVER,
    }
    return render(request, "orders/checkout.html", context)
