"""Membership (会员) and points (积分).

- ``Tier``: the levels operators set (普通会员 / 银卡 / 金卡 / 钻石), each reached by paid
  spend net of refunds and by paid orders over a rolling 12 months, each with its
  benefits (points multiplier, member percentage off, free-shipping threshold, early
  access to flash sales, priority in the support queue).
- ``Membership``: one row per shopper with the figures of the last recompute, the tier
  held and, while the figures say a lower tier, the day a downgrade takes effect (the
  grace period, announced). ``vip_override`` keeps an operator's exception to "VIP = top
  tier".
- ``TierChange``: every tier change with its reason, append-only.
- ``PointsAccount`` + ``PointsEntry``: a balance row kept non-negative by a CHECK and moved
  only by conditional UPDATEs in the same transaction as an append-only ledger entry with a
  unique key (like stock): the balance always equals the sum of the entries.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Tier(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=30)
    name_en = models.CharField(_("name (English)"), max_length=30, blank=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("0 for the entry tier; higher ranks are better.")
    )
    min_spend = models.DecimalField(
        _("paid spend over 12 months from"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("Paid spend net of refunds, over the last 12 months."),
    )
    min_orders = models.PositiveIntegerField(_("paid orders over 12 months from"), default=0)
    points_multiplier = models.DecimalField(
        _("points multiplier"), max_digits=4, decimal_places=2, default=1
    )
    member_discount_percent = models.DecimalField(
        _("member discount (percent off)"),
        max_digits=4,
        decimal_places=1,
        default=0,
        help_text=_("Taken off the goods after promotions, e.g. 5 for 5 percent off."),
    )
    free_shipping_over = models.DecimalField(
        _("free standard shipping from"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Goods total from which standard shipping is free; empty: the shop's rule."),
    )
    early_access_minutes = models.PositiveIntegerField(
        _("early access to flash sales (minutes)"), default=0
    )
    support_priority = models.PositiveSmallIntegerField(
        _("support priority"), default=0, help_text=_("Higher is served first.")
    )

    class Meta:
        verbose_name = _("membership tier")
        verbose_name_plural = _("membership tiers")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_discount_percent__gte=0) & Q(member_discount_percent__lt=100),
                name="tier_discount_percent",
            ),
            models.CheckConstraint(condition=Q(points_multiplier__gte=0), name="tier_multiplier"),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="tier_min_spend"),
        ]

    def __str__(self):
        if self.name_en and not (get_language() or "").startswith("zh"):
            return self.name_en
        return self.name


class Membership(models.Model):
    user = models.OneToOneField(
        "customers.User",
        verbose_name=_("shopper"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="membership",
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="members"
    )
    qualified_tier = models.ForeignKey(
        Tier,
        verbose_name=_("tier the figures reach"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    spend_12m = models.DecimalField(
        _("paid spend, 12 months"), max_digits=14, decimal_places=2, default=0
    )
    orders_12m = models.PositiveIntegerField(_("paid orders, 12 months"), default=0)
    downgrade_on = models.DateField(
        _("downgrade on"),
        null=True,
        blank=True,
        help_text=_("Set when the figures fall below the tier held; the grace period ends then."),
    )
    vip_override = models.BooleanField(
        _("VIP override"),
        null=True,
        blank=True,
        help_text=_("Empty: VIP follows the top tier. Yes/No: an operator's exception."),
    )
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["tier"], name="membership_tier_idx")]

    def __str__(self):
        return f"{self.user} · {self.tier}"


class TierChange(models.Model):
    class Reason(models.TextChoices):
        JOINED = "joined", _("joined")
        ORDER_PAID = "order_paid", _("upgraded by a paid order")
        RECOMPUTE_UP = "recompute_up", _("upgraded by the nightly recompute")
        GRACE_ENDED = "grace_ended", _("downgraded after the grace period")
        MANUAL = "manual", _("set by an operator")

    user = models.ForeignKey(
        "customers.User", verbose_name=_("shopper"), on_delete=models.CASCADE, related_name="+"
    )
    from_tier = models.ForeignKey(
        Tier, verbose_name=_("from"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    spend_12m = models.DecimalField(_("paid spend, 12 months"), max_digits=14, decimal_places=2)
    orders_12m = models.PositiveIntegerField(_("paid orders, 12 months"))
    actor = models.ForeignKey(
        "customers.User",
        verbose_name=_("acted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier history")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user_id}: {self.from_tier_id} → {self.to_tier_id}"


class PointsAccount(models.Model):
    user = models.OneToOneField(
        "customers.User",
        verbose_name=_("shopper"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="points_account",
    )
    balance = models.IntegerField(_("points balance"), default=0)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_not_negative")
        ]

    def __str__(self):
        return f"{self.user} · {self.balance}"


class PointsEntry(models.Model):
    """One movement of a shopper's points; the entries add up to the balance. Positive
    entries are lots that expire on ``expires_on``; negative ones use the oldest first."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earned")
        REDEEM = "redeem", _("spent at checkout")
        RELEASE = "release", _("given back: order cancelled")
        REVERSE = "reverse", _("given back: refund")
        EXPIRE = "expire", _("expired")
        ADJUST = "adjust", _("adjusted")
        GIFT = "gift", _("birthday gift")

    user = models.ForeignKey(
        "customers.User", verbose_name=_("shopper"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"), help_text=_("Negative when spent or expired."))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # One entry per key ("earn:<order>", "redeem:<order>", "reverse:<case>",
    # "expire:<user>:<date>"): a retried step never moves the balance twice.
    key = models.CharField(_("key"), max_length=120, unique=True)
    actor = models.ForeignKey(
        "customers.User",
        verbose_name=_("acted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        ordering = ["-created_at", "-pk"]
        permissions = [("adjust_pointsentry", "Can adjust shoppers' points with a reason")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(points__lt=0) | Q(expires_on__isnull=False),
                name="points_lot_expires",
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="points_entry_user_idx")]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.points}"


class PointsReminder(models.Model):
    """A shopper was told of points expiring on ``expires_on``: once per date."""

    user = models.ForeignKey("customers.User", on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField()
    points = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "expires_on"], name="points_reminder_once")
        ]

    def __str__(self):
        return f"{self.user_id} {self.expires_on} {self.points}"
