"""Promotions (促销): rules an operator plans for a period, which the pricing engine
applies to every cart (``marketing.services.pricing``).

A promotion is a state machine with a recorded history, so the promotion calendar is
auditable: draft -> (awaiting approval ->) scheduled -> running -> ended, or called off.
One deeper than ``MALL_PROMOTION_APPROVAL_DEPTH`` needs a second operator (a CHECK keeps
the approver from being the one who submitted it). The engine reads approved promotions
whose time has come, whatever the clock job has written into ``status`` yet.
"""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord

from .scope import Scoped


class Promotion(Scoped):
    class Kind(models.TextChoices):
        THRESHOLD_OFF = "threshold_off", _("Spend and save (满减)")
        THRESHOLD_PERCENT = "threshold_percent", _("Spend or buy more, pay less (满折)")
        TIMED_DISCOUNT = "timed_discount", _("Limited-time discount (限时折扣)")
        BUY_GET = "buy_get", _("Buy N, get M free (买N送M)")
        NTH_ITEM = "nth_item", _("Nth item at a discount (第二件半价)")
        FREE_SHIPPING = "free_shipping", _("Free shipping (包邮)")
        GIFT = "gift", _("Gift with purchase (满赠)")
        NEW_CUSTOMER = "new_customer", _("New-customer offer (新人专享)")

    class Group(models.TextChoices):
        ITEM = "item", _("item level")
        ORDER = "order", _("order level")
        SHIPPING = "shipping", _("shipping")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Awaiting approval")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Called off")

    class Basis(models.TextChoices):
        AMOUNT = "amount", _("amount spent")
        QUANTITY = "quantity", _("number of items")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    priority = models.SmallIntegerField(
        _("priority"),
        default=0,
        help_text=_("When two rules of a group would give the same, the higher priority wins."),
    )
    exclusive = models.BooleanField(
        _("exclusive"),
        default=False,
        help_text=_("Goods it discounts take no other promotion or coupon."),
    )
    basis = models.CharField(
        _("threshold counts"), max_length=10, choices=Basis.choices, default=Basis.AMOUNT
    )
    repeatable = models.BooleanField(
        _("repeat for every threshold reached"),
        default=False,
        help_text=_("每满100减10: the first tier's saving for every time its threshold fits."),
    )
    cap = models.DecimalField(_("at most"), max_digits=12, decimal_places=2, null=True, blank=True)
    percent_off = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    fixed_price = models.DecimalField(
        _("promotion price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    buy_quantity = models.PositiveSmallIntegerField(_("buy"), null=True, blank=True)
    free_quantity = models.PositiveSmallIntegerField(_("get free"), null=True, blank=True)
    nth = models.PositiveSmallIntegerField(_("every Nth item"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # The largest share of a price the rule can take (0.30 = 30 % off), computed when it
    # is submitted; deeper than MALL_PROMOTION_APPROVAL_DEPTH needs a second operator.
    depth = models.DecimalField(_("depth"), max_digits=5, decimal_places=4, null=True, blank=True)
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promotions",
        help_text=_("What it gives away is booked against this campaign's budget."),
    )
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

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-starts_at", "-pk"]
        permissions = [("approve_promotion", "Can approve deep promotions of other operators")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="promotion_interval"
            ),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True)
                | (Q(percent_off__gt=0) & Q(percent_off__lt=100)),
                name="promotion_percent_between_0_and_100",
            ),
            models.CheckConstraint(
                condition=Q(fixed_price__isnull=True) | Q(fixed_price__gt=0),
                name="promotion_fixed_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=F("submitted_by")),
                name="promotion_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_at"], name="promotion_live_idx")]

    def __str__(self):
        return self.name

    @property
    def group(self) -> str:
        return GROUP_OF[self.kind]

    def get_group_display(self):
        return self.Group(self.group).label


GROUP_OF = {
    Promotion.Kind.TIMED_DISCOUNT: Promotion.Group.ITEM,
    Promotion.Kind.BUY_GET: Promotion.Group.ITEM,
    Promotion.Kind.NTH_ITEM: Promotion.Group.ITEM,
    Promotion.Kind.THRESHOLD_OFF: Promotion.Group.ORDER,
    Promotion.Kind.THRESHOLD_PERCENT: Promotion.Group.ORDER,
    Promotion.Kind.GIFT: Promotion.Group.ORDER,
    Promotion.Kind.NEW_CUSTOMER: Promotion.Group.ORDER,
    Promotion.Kind.FREE_SHIPPING: Promotion.Group.SHIPPING,
}

# Approved: the engine applies these between their start and their end.
APPROVED = (Promotion.Status.SCHEDULED, Promotion.Status.RUNNING)

PROMOTION_MACHINE = Machine(
    Transition("submit", sources={"draft"}, target="scheduled", label=_("submit")),
    Transition(
        "submit_for_approval",
        sources={"draft"},
        target="pending",
        label=_("submit for approval"),
    ),
    Transition("approve", sources={"pending"}, target="scheduled", label=_("approve")),
    Transition("reject", sources={"pending"}, target="draft", label=_("send back")),
    Transition("withdraw", sources={"pending", "scheduled"}, target="draft", label=_("withdraw")),
    Transition("start", sources={"scheduled"}, target="running", label=_("start")),
    Transition("end", sources={"running", "scheduled"}, target="ended", label=_("end")),
    Transition(
        "call_off",
        sources={"draft", "pending", "scheduled"},
        target="cancelled",
        label=_("call off"),
    ),
)


class PromotionStatusChange(TransitionRecord):
    subject = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("promotion history entry")
        verbose_name_plural = _("promotion history")


class PromotionTier(models.Model):
    """One step of a threshold rule (满199减20, 满399减50), or the one reward of another:
    ``threshold`` in money or in items (the promotion's basis), and the reward: money
    off, a percentage off, or a gift."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("threshold"), max_digits=12, decimal_places=2, default=0)
    amount_off = models.DecimalField(
        _("money off"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    percent_off = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    gift_sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("gift"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    gift_quantity = models.PositiveSmallIntegerField(_("gift quantity"), default=1)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["threshold", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "threshold"], name="promotion_tier_threshold_once"
            ),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="promotion_tier_threshold"),
            models.CheckConstraint(
                condition=Q(amount_off__isnull=True) | Q(amount_off__gt=0),
                name="promotion_tier_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True)
                | (Q(percent_off__gt=0) & Q(percent_off__lt=100)),
                name="promotion_tier_percent_between_0_and_100",
            ),
        ]

    def __str__(self):
        return f"{self.promotion_id} ≥ {self.threshold}"


def new_token() -> str:
    return uuid.uuid4().hex


class PricingRulesVersion(models.Model):
    """One row: a token changed (in the same transaction) by every write to promotions
    and coupon templates. Web processes keep the rules they built for a token, so a quote
    reads one tiny row instead of every rule; a rolled-back write leaves the old token."""

    token = models.CharField(max_length=32, default=new_token)

    class Meta:
        verbose_name = _("pricing rules version")
        verbose_name_plural = _("pricing rules version")

    def __str__(self):
        return self.token
