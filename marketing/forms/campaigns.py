"""Forms of campaigns: the campaign itself (its plan), and the campaign chooser that the
forms of promotions and coupon templates carry."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Campaign
from ..services.campaigns.planning import campaign_problems

# A rule may join a campaign that has not ended: its giving is booked from then on.
OPEN = (
    Campaign.Status.DRAFT,
    Campaign.Status.SUBMITTED,
    Campaign.Status.APPROVED,
    Campaign.Status.RUNNING,
    Campaign.Status.REJECTED,
)


def campaign_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("campaign"),
        queryset=Campaign.objects.filter(status__in=OPEN).order_by("-starts_at", "-pk"),
        required=False,
        help_text=_(
            "What it gives away is booked against this campaign's budget; at the budget "
            "it stops. Its discounts apply only while the campaign is approved or running."
        ),
    )


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = (
            "name",
            "theme",
            "audience",
            "audience_detail",
            "goal_gmv",
            "goal_orders",
            "goal_new_customers",
            "starts_at",
            "ends_at",
            "budget",
            "cost_estimate",
            "risk_assessment",
            "contingency_plan",
            "owner",
        )

    def clean(self):
        data = super().clean()
        for problem in campaign_problems(data):
            self.add_error(None, problem)
        return data
