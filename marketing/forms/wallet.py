"""The shopper's forms of the wallet: a coupon code, a gift card's number."""

from django import forms
from django.utils.translation import gettext_lazy as _


class RedeemCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Coupon code"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "ABCD-EFGH-JKMN", "autocomplete": "off"}),
        error_messages={"required": _("Enter the code.")},
    )


class AddGiftCardForm(forms.Form):
    number = forms.CharField(
        label=_("Gift card number"),
        max_length=24,
        widget=forms.TextInput(
            attrs={
                "placeholder": "1234 5678 9012 3456",
                "autocomplete": "off",
                "inputmode": "numeric",
            }
        ),
        error_messages={"required": _("Enter the card's number.")},
    )
