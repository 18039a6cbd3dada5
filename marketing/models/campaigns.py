"""Campaigns (营销活动): a plan with goals, a budget, its risks and a contingency, approved
by a manager who is not its author, watched while it runs and reviewed after the end.

The promotions, coupon templates and flash sales of a campaign book what they give away
against its budget: ``spent`` rises by a conditional UPDATE that holds it within
``budget`` (a CHECK behind it), and every booking is an append-only ``CampaignSpend`` row
whose amounts sum to ``spent``. At the cap the campaign's rules stop granting.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")
        REVIEWED = "reviewed", _("Reviewed")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        ALL = "all", _("All shoppers")
        TIERS = "tiers", _("Membership tiers")
        SEGMENT = "segment", _("A customer segment")

    name = models.CharField(_("name"), max_length=80)
    theme = models.TextField(_("theme"), blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL
    )
    audience_detail = models.CharField(
        _("audience detail"),
        max_length=200,
        blank=True,
        help_text=_("Which tiers or which segment, when not all shoppers."),
    )
    goal_gmv = models.DecimalField(_("GMV goal"), max_digits=14, decimal_places=2, default=0)
    goal_orders = models.PositiveIntegerField(_("orders goal"), default=0)
    goal_new_customers = models.PositiveIntegerField(_("new customers goal"), default=0)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    spent = models.DecimalField(_("spent"), max_digits=14, decimal_places=2, default=0)
    cost_estimate = models.DecimalField(
        _("cost estimate"), max_digits=14, decimal_places=2, default=0
    )
    risk_assessment = models.TextField(_("risk assessment"), blank=True)
    contingency_plan = models.TextField(_("contingency plan"), blank=True)
    conclusions = models.TextField(_("conclusions"), blank=True)
    owner = models.ForeignKey(
        "customers.User",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    created_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set once, by the booking that first passes 80 % of the budget (the owner's warning).
    warned_at = models.DateTimeField(_("budget warning sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-pk"]
        permissions = [
            ("approve_campaign", "Can approve or reject campaigns of others"),
            ("watch_campaign", "Can watch campaigns live and read their reviews"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="campaign_interval"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_positive"),
            models.CheckConstraint(
                condition=Q(spent__gte=0) & Q(spent__lte=F("budget")),
                name="campaign_spent_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("created_by")) & ~Q(approved_by=F("submitted_by"))),
                name="campaign_four_eyes",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def remaining(self):
        return self.budget - self.spent

    @property
    def granting(self) -> bool:
        """Whether its rules may grant: approved or running, with budget left."""
        return self.status in GRANTING and self.spent < self.budget


GRANTING = (Campaign.Status.APPROVED, Campaign.Status.RUNNING)

CAMPAIGN_MACHINE = Machine(
    Transition("submit", sources={"draft", "rejected"}, target="submitted", label=_("submit")),
    Transition("approve", sources={"submitted"}, target="approved", label=_("approve")),
    Transition("reject", sources={"submitted"}, target="rejected", label=_("reject")),
    Transition("start", sources={"approved"}, target="running", label=_("start")),
    Transition("end", sources={"running"}, target="ended", label=_("end")),
    Transition("close", sources={"ended"}, target="reviewed", label=_("close the review")),
    Transition(
        "cancel",
        sources={"draft", "submitted", "rejected", "approved", "running"},
        target="cancelled",
        label=_("cancel"),
    ),
)


class CampaignStatusChange(TransitionRecord):
    subject = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("campaign history entry")
        verbose_name_plural = _("campaign history")


class CampaignSpend(models.Model):
    """One booking against a campaign's budget (append-only): a discount given with an
    order (positive), given back when the order is cancelled (negative), or an outside
    cost such as a channel's fee. ``key`` makes each booking happen once."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", _("discount given")
        RELEASE = "release", _("discount given back")
        CHANNEL = "channel", _("channel cost")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="spends"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=60, blank=True)
    key = models.CharField(_("key"), max_length=100, unique=True)
    actor = models.ForeignKey(
        "customers.User",
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("campaign spend")
        verbose_name_plural = _("campaign spends")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["campaign", "at"], name="campaign_spend_at_idx")]

    def __str__(self):
        return f"{self.campaign_id} {self.kind} {self.amount}"
