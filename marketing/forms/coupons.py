"""The operators' forms for coupons: a template (its reward, threshold, validity,
quantities and goods), a grant to chosen shoppers or a CSV list, a batch of codes."""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelectMultiple
from django.utils.translation import gettext_lazy as _

from customers.models import User

from ..models import Coupon, CouponTemplate
from .campaigns import campaign_field
from .scope import SCOPE_RELATIONS, scope_fields

# --- Coupon templates ------------------------------------------------------------------------


class CouponTemplateForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60)
    kind = forms.ChoiceField(label=_("type"), choices=CouponTemplate.Kind.choices)
    amount = forms.DecimalField(
        label=_("money off"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("For a money-off coupon."),
    )
    percent_off = forms.DecimalField(
        label=_("percent off"),
        required=False,
        min_value=0,
        max_value=99,
        decimal_places=2,
        help_text=_("For a percentage coupon: 10 takes 10 percent off (9折)."),
    )
    max_discount = forms.DecimalField(
        label=_("at most"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("The cap of a percentage coupon."),
    )
    threshold = forms.DecimalField(
        label=_("minimum spend"),
        min_value=0,
        decimal_places=2,
        initial=0,
        help_text=CouponTemplate._meta.get_field("threshold").help_text,
    )
    valid_from = forms.SplitDateTimeField(
        label=_("valid from"), widget=AdminSplitDateTime, required=False
    )
    valid_until = forms.SplitDateTimeField(
        label=_("valid until"),
        widget=AdminSplitDateTime,
        required=False,
        help_text=_("Fixed dates, or leave empty and give a number of days."),
    )
    valid_days = forms.IntegerField(
        label=_("valid for days after claiming"), required=False, min_value=1
    )
    total_quantity = forms.IntegerField(
        label=_("total quantity"), required=False, min_value=1, help_text=_("Empty: no limit.")
    )
    per_shopper_limit = forms.IntegerField(label=_("limit per shopper"), min_value=1, initial=1)
    stackable = forms.BooleanField(
        label=_("combines with promotions"),
        required=False,
        initial=True,
        help_text=CouponTemplate._meta.get_field("stackable").help_text,
    )
    return_on_refund = forms.BooleanField(
        label=_("returned on a full refund"),
        required=False,
        help_text=CouponTemplate._meta.get_field("return_on_refund").help_text,
    )
    channel = forms.ChoiceField(label=_("issued through"), choices=CouponTemplate.Channel.choices)
    campaign = campaign_field()

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        scope_fields(self, CouponTemplate, admin_site)


def template_initial(template: CouponTemplate) -> dict:
    data = {name: getattr(template, name) for name in CouponTemplateForm.base_fields}
    for name in SCOPE_RELATIONS:
        data[name] = list(getattr(template, name).all())
    data["brands"], data["excluded_brands"] = template.brands, template.excluded_brands
    return data


# --- Handing coupons out ---------------------------------------------------------------------


class GrantForm(forms.Form):
    shoppers = forms.ModelMultipleChoiceField(
        label=_("shoppers"),
        queryset=None,
        required=False,
        help_text=_("Search by mobile number or email."),
    )
    csv_file = forms.FileField(
        label=_("or a CSV list"),
        required=False,
        help_text=_("One mobile number or email per row, in the first column."),
    )
    reason = forms.CharField(
        label=_("reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["shoppers"]
        field.queryset = User.objects.filter(is_staff=False)
        field.widget = AutocompleteSelectMultiple(Coupon._meta.get_field("user"), admin_site)
        field.widget.choices = field.choices

    def clean(self):
        data = super().clean()
        if not data.get("shoppers") and not data.get("csv_file"):
            raise forms.ValidationError(_("Choose shoppers or upload a list."))
        upload = data.get("csv_file")
        if upload is not None:
            if upload.size > 2 * 1024 * 1024:
                raise forms.ValidationError(_("The list is larger than 2 MB."))
            try:
                data["csv_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("Save the list as CSV in UTF-8.")) from None
        return data


class CodesForm(forms.Form):
    quantity = forms.IntegerField(label=_("how many codes"), min_value=1, max_value=50_000)
    reason = forms.CharField(label=_("what they are for"), max_length=200)
