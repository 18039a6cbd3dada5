"""Forms of the shopper's cart, checkout and orders."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..services.cart import MAX_QUANTITY
from ..services.checkout import SHIPPING_METHODS
from ..validators import clean_tax_number


class AddToCartForm(forms.Form):
    sku = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )


class CartLineForm(forms.Form):
    sku = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_QUANTITY)


class CheckoutForm(forms.Form):
    """The checkout: where to, how, an optional invoice, and the guards of the submit
    (the idempotency key of this page and the total the shopper saw)."""

    address = forms.ModelChoiceField(
        label=_("Deliver to"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choose an address."),
            "invalid_choice": _("Choose one of your own addresses."),
        },
    )
    shipping_method = forms.ChoiceField(
        label=_("Shipping method"),
        choices=list(SHIPPING_METHODS.items()),
        widget=forms.RadioSelect,
        initial="standard",
    )
    invoice_title = forms.CharField(
        label=_("Invoice title"),
        max_length=100,
        required=False,
        help_text=_("Your name or your company's name; leave empty for no invoice."),
    )
    tax_number = forms.CharField(
        label=_("Taxpayer ID"),
        max_length=20,
        required=False,
        help_text=_("For a company invoice: the unified social credit code."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    expected_total = forms.DecimalField(widget=forms.HiddenInput, max_digits=12, decimal_places=2)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].queryset = user.addresses.order_by("-is_default", "pk")

    def clean_tax_number(self):
        return clean_tax_number(self.cleaned_data["tax_number"])

    def clean(self):
        data = super().clean()
        if data.get("tax_number") and not data.get("invoice_title", "").strip():
            self.add_error("invoice_title", _("A company invoice needs the company's name."))
        return data


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you cancel?"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. I ordered the wrong size")}),
        error_messages={"required": _("Say why the order is cancelled.")},
    )
