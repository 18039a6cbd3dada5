"""The coupon pages of the storefront: the coupon centre (领券中心), claiming from it or
from a goods page, the wallet (usable, used, expired coupons and gift cards), redeeming a
code and adding a gift card. Each action is one service call; its refusal is a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.views.cart import safe_next

from ..exceptions import CouponRefused, GiftCardRefused
from ..forms.wallet import AddGiftCardForm, RedeemCodeForm
from ..models import CouponTemplate
from ..selectors import offers
from ..services import coupons, giftcards

TABS = ("usable", "used", "expired")


def centre(request):
    return render(
        request,
        "marketing/coupons/centre.html",
        {"coupons": offers.coupon_centre(user=request.user)},
    )


@require_POST
def claim(request, pk):
    back = safe_next(request, reverse("coupons:centre"))
    if not request.user.is_authenticated:
        messages.info(request, _("Sign in to claim coupons."))
        return redirect_to_login(back)
    template = get_object_or_404(CouponTemplate, pk=pk)
    try:
        coupon = coupons.claim_coupon(template=template, user=request.user)
    except CouponRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("“%(name)s” is in your wallet, usable until %(until)s.")
            % {
                "name": template.name,
                "until": date_format(timezone.localtime(coupon.valid_until), "Y-m-d H:i"),
            },
        )
    return redirect(back)


@login_required
def wallet(request):
    tab = request.GET.get("tab", "usable")
    tab = tab if tab in TABS else "usable"
    found = offers.wallet(request.user)
    context = {
        "tab": tab,
        "tabs": [(name, len(found[name])) for name in TABS],
        "coupons": found[tab],
        "gift_cards": found["gift_cards"],
        "redeem_form": RedeemCodeForm(),
        "card_form": AddGiftCardForm(),
    }
    return render(request, "marketing/coupons/wallet.html", context)


@login_required
@require_POST
def redeem(request):
    form = RedeemCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the code."))
        return redirect("coupons:wallet")
    try:
        coupon = coupons.redeem_code(code=form.cleaned_data["code"], user=request.user)
    except CouponRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("“%(name)s” is in your wallet.") % {"name": coupon.template.name}
        )
    return redirect("coupons:wallet")


@login_required
@require_POST
def add_gift_card(request):
    form = AddGiftCardForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the card's number."))
        return redirect("coupons:wallet")
    try:
        card = giftcards.bind_gift_card(number=form.cleaned_data["number"], user=request.user)
    except GiftCardRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Gift card %(card)s with %(balance)s is in your wallet; choose it at checkout.")
            % {"card": card.masked, "balance": card.balance},
        )
    return redirect("coupons:wallet")
