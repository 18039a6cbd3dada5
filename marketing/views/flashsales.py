"""Flash-sale pages of the storefront: the sales live and coming, and the buy page.

The buy page asks a signed-in shopper for one of their addresses (the default first), a
shipping method and, when the limit allows more than one, the quantity; a hidden
idempotency key makes a double click or a resubmitted form give the same order. The
attempt itself is ``marketing.services.flashsales.buy``; its refusal is shown on the page.
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import MaxValueValidator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.exceptions import OrderError, OrderRefused
from orders.services.checkout import SHIPPING_METHODS

from ..models import FlashSale
from ..selectors import flashsales as flash_selectors
from ..services import flashsales as flashsale


class AddressChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, address):
        return f"{address.recipient} {address.mobile} · {address.one_line}"


class FlashBuyForm(forms.Form):
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, initial=1)
    address = AddressChoiceField(
        label=gettext_lazy("Deliver to"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("Choose one of your own addresses.")},
    )
    shipping_method = forms.ChoiceField(
        label=gettext_lazy("Shipping method"),
        choices=list(SHIPPING_METHODS.items()),
        initial="standard",
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, sale: FlashSale, addresses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].queryset = addresses
        quantity = self.fields["quantity"]
        quantity.validators.append(
            MaxValueValidator(
                sale.per_shopper_limit,
                message=gettext_lazy("At most %(limit_value)s per shopper in this flash sale."),
            )
        )
        quantity.widget.attrs.update({"min": 1, "max": sale.per_shopper_limit, "class": "qty"})
        if sale.per_shopper_limit == 1:
            quantity.widget = forms.HiddenInput()


def _sale_or_404(pk) -> FlashSale:
    try:
        return flash_selectors.public_sales().get(pk=pk)
    except FlashSale.DoesNotExist:
        raise Http404 from None


def sale_list(request):
    """Flash sales live now and coming up, soonest first (one query)."""
    sales = list(flash_selectors.current_sales())
    return render(request, "marketing/flashsale/list.html", {"sales": sales})


@login_required
def buy(request, pk):
    """The buy page of one sale: GET shows the form, POST makes the attempt. Success goes
    to the order's page; a refusal (sold out, over the limit, ...) is shown here."""
    sale = _sale_or_404(pk)
    addresses = request.user.addresses.order_by("-is_default", "pk")
    initial = {"idempotency_key": uuid.uuid4().hex, "shipping_method": "standard", "quantity": 1}
    data = request.POST if request.method == "POST" else None
    form = FlashBuyForm(data, initial=initial, sale=sale, addresses=addresses)
    address_list = list(addresses)
    if not data and address_list:
        form.initial["address"] = address_list[0].pk
    if data is not None and form.is_valid():
        values = form.cleaned_data
        try:
            order = flashsale.buy(
                sale=sale,
                user=request.user,
                quantity=values["quantity"],
                address=values["address"],
                shipping_method=values["shipping_method"],
                idempotency_key=values["idempotency_key"],
            )
        except OrderRefused as error:
            for problem in error.problems:
                form.add_error(None, problem)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Order %(number)s is placed at the flash price. "
                    "Please pay within %(minutes)s minutes."
                )
                % {"number": order.number, "minutes": settings.MALL_PAYMENT_TIMEOUT_MINUTES},
            )
            return redirect("orders:order_detail", order.number)
        sale.refresh_from_db(fields=["sold", "ends_at"])
    context = {
        "sale": sale,
        "form": form,
        "addresses": address_list,
        "payment_minutes": settings.MALL_PAYMENT_TIMEOUT_MINUTES,
    }
    return render(request, "marketing/flashsale/buy.html", context)
