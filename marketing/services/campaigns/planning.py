"""A campaign's life: drafted by an operator, submitted, approved by a manager who is not
its author (or rejected, saying why), running, ended, and closed by the owner's written
conclusions after the review. Every step is one ``transition`` with its history row."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money
from mall.statemachine import IllegalTransition, transition

from ...exceptions import CampaignInvalid
from ...models import CAMPAIGN_MACHINE, Campaign, CampaignStatusChange
from ..pricing import catalogue

logger = logging.getLogger(__name__)

APPROVE = "marketing.approve_campaign"

EDITABLE = (Campaign.Status.DRAFT, Campaign.Status.REJECTED)
FIELDS = (
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


def _step(campaign, name, *, actor, reason="", update_fields=()):
    transition(
        campaign,
        CAMPAIGN_MACHINE,
        name,
        history=CampaignStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )
    # Whether a campaign's rules grant depends on its state: quotes must see it at once.
    catalogue.bump()
    logger.info("campaign %s", name, extra={"campaign": campaign.pk})
    return campaign


def campaign_problems(data: dict) -> list[str]:
    problems = []
    if not (data.get("name") or "").strip():
        problems.append(_("Give the campaign a name."))
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts and ends and ends <= starts:
        problems.append(_("A campaign ends after it starts."))
    if not starts or not ends:
        problems.append(_("Give the campaign its period."))
    if data.get("budget") is None or data["budget"] < 0:
        problems.append(_("Give the campaign a budget of zero or more."))
    if (
        data.get("audience") not in (None, Campaign.Audience.ALL)
        and not (data.get("audience_detail") or "").strip()
    ):
        problems.append(_("Say which tiers or which segment the campaign is for."))
    if data.get("owner") is None:
        problems.append(_("Name the campaign's owner."))
    return problems


@transaction.atomic
def save_campaign(*, actor, data: dict, campaign: Campaign | None = None) -> Campaign:
    """Create a draft campaign, or change one that is a draft or was rejected. Raises
    ``CampaignInvalid`` with every problem (nothing written then)."""
    if campaign is not None:
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in EDITABLE:
            raise CampaignInvalid([_("Only a draft or a rejected campaign can be changed.")])
    merged = {name: getattr(campaign, name) for name in FIELDS} if campaign else {}
    merged.update({name: value for name, value in data.items() if name in FIELDS})
    problems = campaign_problems(merged)
    if problems:
        raise CampaignInvalid(problems)
    for money in ("budget", "cost_estimate", "goal_gmv"):
        if merged.get(money) is not None:
            merged[money] = to_money(merged[money])
    if campaign is None:
        campaign = Campaign(created_by=actor)
    for name, value in merged.items():
        setattr(campaign, name, value)
    campaign.save()
    return campaign


def submit_campaign(*, campaign: Campaign, actor) -> Campaign:
    """Submit a draft (or a rejected campaign, changed) for a manager's approval.
    Raises ``CampaignInvalid`` when it is incomplete (a plan needs its goals, its risks
    and its contingency), ``IllegalTransition`` from any other state."""
    problems = campaign_problems({name: getattr(campaign, name) for name in FIELDS})
    if not campaign.risk_assessment.strip():
        problems.append(_("Assess the risks before submitting."))
    if not campaign.contingency_plan.strip():
        problems.append(_("Write the contingency plan before submitting."))
    if not (campaign.goal_gmv or campaign.goal_orders or campaign.goal_new_customers):
        problems.append(_("Set at least one goal: GMV, orders or new customers."))
    if problems:
        raise CampaignInvalid(problems)
    campaign.submitted_by = actor
    campaign.approved_by = None
    with transaction.atomic():
        return _step(campaign, "submit", actor=actor, update_fields=["submitted_by", "approved_by"])


def approve_campaign(*, campaign: Campaign, actor, reason: str = "") -> Campaign:
    """A manager approves a submitted campaign: its rules may grant from now on (within
    their own dates and its budget). Raises ``CampaignInvalid`` when the actor may not
    approve or wrote or submitted it (four eyes; a CHECK says so too)."""
    if actor is None or not actor.has_perm(APPROVE):
        raise CampaignInvalid([_("Only a manager may approve campaigns.")])
    if actor.pk in (campaign.created_by_id, campaign.submitted_by_id):
        raise CampaignInvalid([_("Another manager must approve a campaign you wrote.")])
    campaign.approved_by = actor
    with transaction.atomic():
        return _step(
            campaign, "approve", actor=actor, reason=reason.strip(), update_fields=["approved_by"]
        )


def reject_campaign(*, campaign: Campaign, actor, reason: str) -> Campaign:
    """A manager sends a submitted campaign back, saying why; its author may change and
    submit it again."""
    if not (reason or "").strip():
        raise CampaignInvalid([_("Say why the campaign is rejected.")])
    if actor is None or not actor.has_perm(APPROVE):
        raise CampaignInvalid([_("Only a manager may reject campaigns.")])
    with transaction.atomic():
        return _step(campaign, "reject", actor=actor, reason=reason.strip())


def start_campaign(*, campaign: Campaign, actor=None) -> Campaign:
    """An approved campaign starts (by hand, or by the clock job at its start)."""
    with transaction.atomic():
        return _step(campaign, "start", actor=actor)


def end_campaign(*, campaign: Campaign, actor=None, reason: str = "") -> Campaign:
    """A running campaign ends: its rules stop granting; the review may begin."""
    with transaction.atomic():
        return _step(campaign, "end", actor=actor, reason=reason)


def cancel_campaign(*, campaign: Campaign, actor, reason: str) -> Campaign:
    """Cancel a campaign before it ends, saying why: its rules stop granting."""
    if not (reason or "").strip():
        raise CampaignInvalid([_("Say why the campaign is cancelled.")])
    with transaction.atomic():
        return _step(campaign, "cancel", actor=actor, reason=reason.strip())


def close_review(*, campaign: Campaign, actor, conclusions: str) -> Campaign:
    """The owner closes an ended campaign's review with written conclusions; without
    them it stays open (``CampaignInvalid``). Only the owner or a manager closes it."""
    conclusions = (conclusions or "").strip()
    if not conclusions:
        raise CampaignInvalid([_("Write the conclusions before closing the review.")])
    if actor is None or (actor.pk != campaign.owner_id and not actor.has_perm(APPROVE)):
        raise CampaignInvalid([_("Only the owner or a manager closes the review.")])
    campaign.conclusions = conclusions
    with transaction.atomic():
        return _step(campaign, "close", actor=actor, update_fields=["conclusions"])


def advance_campaigns(*, now=None) -> dict[str, int]:
    """The clock job: approved campaigns whose start has come run, running ones whose
    end has passed end. Idempotent; returns how many of each."""
    now = now or timezone.now()
    started = ended = 0
    for campaign in Campaign.objects.filter(
        status=Campaign.Status.APPROVED, starts_at__lte=now, ends_at__gt=now
    ).order_by("pk")[:500]:
        try:
            start_campaign(campaign=campaign)
        except IllegalTransition:
            continue  # another run of the job took the step
        started += 1
    for campaign in Campaign.objects.filter(
        status=Campaign.Status.RUNNING, ends_at__lte=now
    ).order_by("pk")[:500]:
        try:
            end_campaign(campaign=campaign, reason=_("its end came"))
        except IllegalTransition:
            continue
        ended += 1
    return {"started": started, "ended": ended}
