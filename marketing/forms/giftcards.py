"""The operators' form that issues gift cards."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from customers.models import User

from ..models import GiftCard

# --- Gift cards ------------------------------------------------------------------------------


class IssueGiftCardsForm(forms.Form):
    face_value = forms.DecimalField(label=_("face value"), min_value=0, decimal_places=2)
    quantity = forms.IntegerField(label=_("how many cards"), min_value=1, max_value=1000, initial=1)
    valid_days = forms.IntegerField(
        label=_("valid for days"), required=False, min_value=1, help_text=_("Empty: no end.")
    )
    owner = forms.ModelChoiceField(
        label=_("into the wallet of"),
        queryset=None,
        required=False,
        help_text=_("Empty: the shopper adds the card with its number."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        field.queryset = User.objects.filter(is_staff=False)
        field.widget = AutocompleteSelect(GiftCard._meta.get_field("owner"), admin_site)
        field.widget.choices = field.choices
