"""The operators' form for promotions: one form per type showing only the fields that
type needs, tiers as rows to fill in, goods chosen by search, brands one per line. No
JSON anywhere; the services check the whole."""

from django import forms
from django.contrib.admin.widgets import (
    AdminSplitDateTime,
    AutocompleteSelect,
)
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU

from ..models import Promotion, PromotionTier
from .campaigns import campaign_field
from .scope import SCOPE_RELATIONS, scope_fields

Kind = Promotion.Kind

# What each type asks for, beyond the name, the period, priority, exclusivity and scope.
KIND_FIELDS = {
    Kind.THRESHOLD_OFF: ("basis", "repeatable", "cap"),
    Kind.THRESHOLD_PERCENT: ("basis", "cap"),
    Kind.TIMED_DISCOUNT: ("percent_off", "fixed_price"),
    Kind.BUY_GET: ("buy_quantity", "free_quantity"),
    Kind.NTH_ITEM: ("nth", "percent_off"),
    Kind.FREE_SHIPPING: ("basis",),
    Kind.GIFT: ("basis",),
    Kind.NEW_CUSTOMER: ("cap",),
}
# The columns of each type's tiers (none: the type has no tiers), and how many rows.
TIER_COLUMNS = {
    Kind.THRESHOLD_OFF: (("threshold", "amount_off"), 4),
    Kind.THRESHOLD_PERCENT: (("threshold", "percent_off"), 4),
    Kind.FREE_SHIPPING: (("threshold",), 1),
    Kind.GIFT: (("threshold", "gift_sku", "gift_quantity"), 3),
    Kind.NEW_CUSTOMER: (("threshold", "amount_off", "percent_off"), 1),
}
KIND_HELP = {
    Kind.THRESHOLD_OFF: _(
        "满199减20, tiered (满199减20 / 满399减50) or every full amount (每满100减10, with a cap)."
    ),
    Kind.THRESHOLD_PERCENT: _(
        "满2件打9折 or 满300打8折: a percentage off once a threshold is reached."
    ),
    Kind.TIMED_DISCOUNT: _(
        "A percentage off, or a promotion price for chosen products, for a period."
    ),
    Kind.BUY_GET: _("Buy N of an item, get M more of it free (买2送1)."),
    Kind.NTH_ITEM: _("Every Nth unit of an item at a percentage off (第二件半价)."),
    Kind.FREE_SHIPPING: _(
        "The standard or express fee waived from a threshold, or for chosen goods."
    ),
    Kind.GIFT: _("A gift added to the order at no price from a threshold, reserved from stock."),
    Kind.NEW_CUSTOMER: _("Money or a percentage off a shopper's first paid order."),
}


class PromotionForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60, help_text=_("Shown to shoppers."))
    starts_at = forms.SplitDateTimeField(label=_("starts at"), widget=AdminSplitDateTime)
    ends_at = forms.SplitDateTimeField(label=_("ends at"), widget=AdminSplitDateTime)
    priority = forms.IntegerField(
        label=_("priority"),
        initial=0,
        help_text=Promotion._meta.get_field("priority").help_text,
    )
    exclusive = forms.BooleanField(
        label=_("exclusive"),
        required=False,
        help_text=Promotion._meta.get_field("exclusive").help_text,
    )
    basis = forms.ChoiceField(
        label=_("threshold counts"), choices=Promotion.Basis.choices, initial=Promotion.Basis.AMOUNT
    )
    repeatable = forms.BooleanField(
        label=_("repeat for every threshold reached"),
        required=False,
        help_text=Promotion._meta.get_field("repeatable").help_text,
    )
    cap = forms.DecimalField(label=_("at most"), required=False, min_value=0, decimal_places=2)
    percent_off = forms.DecimalField(
        label=_("percent off"),
        required=False,
        min_value=0,
        max_value=99,
        decimal_places=2,
        help_text=_("20 takes 20 percent off (8折)."),
    )
    fixed_price = forms.DecimalField(
        label=_("promotion price"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("For the chosen products: never above their prices."),
    )
    buy_quantity = forms.IntegerField(label=_("buy"), required=False, min_value=1)
    free_quantity = forms.IntegerField(label=_("get free"), required=False, min_value=1)
    nth = forms.IntegerField(label=_("every Nth item"), required=False, min_value=2, initial=2)
    campaign = campaign_field()

    def __init__(self, *args, kind, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        wanted = KIND_FIELDS[kind]
        for name in (
            "basis",
            "repeatable",
            "cap",
            "percent_off",
            "fixed_price",
            "buy_quantity",
            "free_quantity",
            "nth",
        ):
            if name not in wanted:
                del self.fields[name]
        scope_fields(self, Promotion, admin_site)


class TierForm(forms.Form):
    threshold = forms.DecimalField(
        label=_("threshold"),
        required=False,
        min_value=0,
        decimal_places=2,
        help_text=_("Money, or a number of items."),
    )
    amount_off = forms.DecimalField(
        label=_("money off"), required=False, min_value=0, decimal_places=2
    )
    percent_off = forms.DecimalField(
        label=_("percent off"), required=False, min_value=0, max_value=99, decimal_places=2
    )
    gift_sku = forms.ModelChoiceField(label=_("gift"), queryset=SKU.objects.all(), required=False)
    gift_quantity = forms.IntegerField(
        label=_("gift quantity"), required=False, min_value=1, initial=1
    )

    def __init__(self, *args, columns, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in columns:
                del self.fields[name]
        if "gift_sku" in self.fields:
            field = self.fields["gift_sku"]
            field.widget = AutocompleteSelect(PromotionTier._meta.get_field("gift_sku"), admin_site)
            field.widget.choices = field.choices


class BaseTierFormSet(forms.BaseFormSet):
    def __init__(self, *args, columns, admin_site, **kwargs):
        self.columns, self.admin_site = columns, admin_site
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"columns": self.columns, "admin_site": self.admin_site}

    @property
    def rows(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


def tier_formset(kind, *, data=None, initial=None, admin_site):
    columns, rows = TIER_COLUMNS.get(kind, ((), 0))
    if not columns:
        return None
    formset_class = forms.formset_factory(
        TierForm,
        formset=BaseTierFormSet,
        extra=max(rows - len(initial or []), 0 if initial else 1),
        max_num=rows,
        validate_max=True,
    )
    return formset_class(
        data, initial=initial, prefix="tiers", columns=columns, admin_site=admin_site
    )


def promotion_initial(promotion: Promotion) -> tuple[dict, list[dict]]:
    """A draft's values for its form and its tiers' rows."""
    data = {
        name: getattr(promotion, name)
        for name in (
            "name",
            "starts_at",
            "ends_at",
            "priority",
            "exclusive",
            "basis",
            "repeatable",
            "cap",
            "percent_off",
            "fixed_price",
            "buy_quantity",
            "free_quantity",
            "nth",
            "brands",
            "excluded_brands",
            "campaign",
        )
    }
    for name in SCOPE_RELATIONS:
        data[name] = list(getattr(promotion, name).all())
    tiers = [
        {
            "threshold": tier.threshold,
            "amount_off": tier.amount_off,
            "percent_off": tier.percent_off,
            "gift_sku": tier.gift_sku_id,
            "gift_quantity": tier.gift_quantity,
        }
        for tier in promotion.tiers.all()
    ]
    return data, tiers
