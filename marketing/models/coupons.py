"""Coupons (优惠券): templates an operator sets up, coupons in shoppers' wallets.

The guarantees sit in the database:

- a template never issues more than its total: ``issued`` is raised by a conditional
  UPDATE, with a CHECK behind it;
- a shopper never claims more than the per-shopper limit: each claim takes the next
  ``claim_seq`` of the shopper and template, unique, and a CHECK keeps it within the limit
  copied onto the coupon;
- a coupon serves at most one live order: ``CouponUse`` has a partial unique index (one
  unreleased use per coupon), and an order uses at most one coupon (another one).
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scope import Scoped


class CouponTemplate(Scoped):
    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("Money off (满减券)")
        PERCENT_OFF = "percent_off", _("Percentage off (折扣券)")

    class Channel(models.TextChoices):
        PUBLIC = "public", _("Claimed by shoppers (coupon centre, goods pages)")
        GRANT = "grant", _("Granted by operators")
        CODE = "code", _("Codes for outside channels")
        COMPENSATION = "compensation", _("Service compensation by agents")
        BIRTHDAY = "birthday", _("Birthday gift")
        REFERRAL = "referral", _("Referral reward")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Issuing")
        STOPPED = "stopped", _("Stopped")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(
        _("money off"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    percent_off = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    max_discount = models.DecimalField(
        _("at most"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The cap of a percentage coupon."),
    )
    threshold = models.DecimalField(
        _("minimum spend"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("On the goods it covers, after promotions; 0 for none."),
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(
        _("valid for days after claiming"), null=True, blank=True
    )
    total_quantity = models.PositiveIntegerField(
        _("total quantity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    issued = models.PositiveIntegerField(_("issued"), default=0)
    per_shopper_limit = models.PositiveSmallIntegerField(_("limit per shopper"), default=1)
    stackable = models.BooleanField(
        _("combines with promotions"),
        default=True,
        help_text=_("Unticked: it covers only goods no promotion discounted."),
    )
    return_on_refund = models.BooleanField(
        _("returned on a full refund"),
        default=False,
        help_text=_(
            "A cancelled order always gives its coupon back; a fully refunded one only "
            "when this is ticked."
        ),
    )
    channel = models.CharField(
        _("issued through"), max_length=12, choices=Channel.choices, default=Channel.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupon_templates",
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

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("grant_coupontemplate", "Can grant coupons to shoppers"),
            ("compensate_coupontemplate", "Can grant compensation coupons from the ticket view"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_quantity__isnull=True) | Q(issued__lte=F("total_quantity")),
                name="coupon_template_never_over_issued",
            ),
            models.CheckConstraint(
                condition=(Q(kind="amount_off") & Q(amount__gt=0))
                | (Q(kind="percent_off") & Q(percent_off__gt=0) & Q(percent_off__lt=100)),
                name="coupon_template_reward",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=False) ^ Q(valid_days__isnull=False),
                name="coupon_template_one_validity",
            ),
            models.CheckConstraint(
                condition=Q(per_shopper_limit__gte=1), name="coupon_template_limit_positive"
            ),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="coupon_template_threshold"),
        ]

    def __str__(self):
        return self.name


class CouponBatch(models.Model):
    """One operator's or agent's issue of many coupons at once (a grant to chosen or
    listed shoppers, a batch of codes, a compensation), with the reason: the audit trail
    of who handed out what."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("grant")
        CODES = "codes", _("codes")
        COMPENSATION = "compensation", _("compensation")

    template = models.ForeignKey(
        CouponTemplate,
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name=_("coupon template"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=200)
    reference = models.CharField(
        _("reference"), max_length=40, blank=True, help_text=_("A ticket, an order, a file.")
    )
    # Empty when another feature handed it out (a birthday, a referral).
    created_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.template} × {self.quantity}"


class Coupon(models.Model):
    class Status(models.TextChoices):
        UNCLAIMED = "unclaimed", _("Not redeemed yet")  # a code nobody entered yet
        AVAILABLE = "available", _("Usable")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")

    template = models.ForeignKey(
        CouponTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="coupons"
    )
    user = models.ForeignKey(
        "customers.User",
        verbose_name=_("shopper"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupons",
    )
    code = models.CharField(_("code"), max_length=20, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE
    )
    source = models.CharField(
        _("issued through"), max_length=12, choices=CouponTemplate.Channel.choices
    )
    batch = models.ForeignKey(
        CouponBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupons",
        verbose_name=_("coupon batch"),
    )
    # The shopper's n-th claim of this template (claims and redeemed codes): unique per
    # shopper and template, and within the limit the template had when claimed.
    claim_seq = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("claim number")
    )
    claim_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("claim limit")
    )
    granted_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("received at"), null=True, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("expiry reminder sent"), null=True, blank=True)
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("used on order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coupon",
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["valid_until", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "user", "claim_seq"],
                condition=Q(claim_seq__isnull=False),
                name="coupon_claim_seq_once",
            ),
            models.CheckConstraint(
                condition=Q(claim_seq__isnull=True)
                | (Q(claim_seq__gte=1) & Q(claim_seq__lte=F("claim_limit"))),
                name="coupon_claim_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(status="used", order__isnull=False)
                | (~Q(status="used") & Q(order__isnull=True)),
                name="coupon_used_on_an_order",
            ),
            models.CheckConstraint(
                condition=Q(status="unclaimed") | Q(user__isnull=False),
                name="coupon_claimed_has_a_shopper",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status", "valid_until"], name="coupon_wallet_idx"),
        ]

    def __str__(self):
        return f"{self.template} #{self.pk}"


class CouponUse(models.Model):
    """Every time a coupon served an order: taken at placement, given back (released) on
    cancellation or a full refund when its template allows. One unreleased use per
    coupon, by a partial unique index: a coupon is never used twice at once."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="uses")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="coupon_uses")
    used_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")
        ordering = ["-used_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon"],
                condition=Q(released_at__isnull=True),
                name="coupon_one_live_use",
            ),
            models.UniqueConstraint(fields=["coupon", "order"], name="coupon_use_once_per_order"),
        ]

    def __str__(self):
        return f"{self.coupon_id} on {self.order_id}"
