"""The agent's form that compensates a shopper with a coupon, from the ticket view."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketing.models import CouponTemplate


class CompensationForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Compensation coupon"),
        queryset=CouponTemplate.objects.none(),
        empty_label=None,
        error_messages={"required": _("Choose a compensation coupon.")},
    )
    reason = forms.CharField(
        label=_("Why the shopper is compensated"),
        max_length=200,
        error_messages={"required": _("Say why the shopper is compensated.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = (
            CouponTemplate.objects.filter(
                channel=CouponTemplate.Channel.COMPENSATION, status=CouponTemplate.Status.ACTIVE
            )
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()))
            .order_by("amount", "pk")
        )
