"""Prices: each SKU's price history, and the change requests that write it.

The current price is a query over ``SkuPrice``, never a copy. Every row comes from a
``PriceChange``: a request with a reason that may need a second operator's approval and
may be scheduled; its history rows make the audit trail of who asked, who approved, when
it applied.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.ranges import TsTzRange
from mall.statemachine import Machine, Transition, TransitionRecord


class SkuPrice(models.Model):
    """The price of a SKU over ``[valid_from, valid_to)``; ``valid_to`` empty = until changed.

    An exclusion constraint keeps one SKU's intervals from overlapping, so "the price at
    time t" always has at most one answer. ``reference_amount`` is the crossed-out "was"
    price shown beside a reduced price; the honest-price rule bounds it (see
    ``catalog.services.pricing``).
    """

    sku = models.ForeignKey(
        "catalog.SKU", on_delete=models.CASCADE, related_name="prices", verbose_name=_("SKU")
    )
    amount = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    reference_amount = models.DecimalField(
        _("was price"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Shown crossed out beside a reduced price."),
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    set_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change = models.OneToOneField(
        "catalog.PriceChange",
        verbose_name=_("price change"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price",
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("SKU price")
        verbose_name_plural = _("SKU prices")
        ordering = ["sku", "-valid_from"]
        indexes = [models.Index(fields=["sku", "-valid_from"], name="sku_price_lookup_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sku_price_positive"),
            models.CheckConstraint(
                condition=Q(reference_amount__isnull=True) | Q(reference_amount__gt=F("amount")),
                name="sku_price_reference_above_price",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="sku_price_interval_order",
            ),
            ExclusionConstraint(
                name="sku_price_no_overlap",
                expressions=[
                    ("sku", RangeOperators.EQUAL),
                    (TsTzRange("valid_from", "valid_to"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        # The admin loads the SKU with its goods (select_related).
        return f"{self.sku}: {self.amount}"


class PriceChange(models.Model):
    """A request to change a SKU's price, with its reason.

    A change beyond the configured share (``MALL_PRICE_APPROVAL_SHARE``) waits for a
    second operator (``pending``); others are ``scheduled`` at once. A scheduled change
    applies at ``effective_at`` (now when empty) and becomes a ``SkuPrice`` row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        SCHEDULED = "scheduled", _("Scheduled")
        APPLIED = "applied", pgettext_lazy("price change", "Applied")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="price_changes"
    )
    amount = models.DecimalField(_("new price"), max_digits=12, decimal_places=2)
    reference_amount = models.DecimalField(
        _("was price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    previous_amount = models.DecimalField(
        _("price when requested"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    effective_at = models.DateTimeField(
        _("effective at"), null=True, blank=True, help_text=_("Empty: as soon as approved.")
    )
    reason = models.CharField(_("reason"), max_length=200)
    # Below the SKU's moving-average cost: why, and a second operator must approve.
    below_cost_reason = models.CharField(
        _("reason for selling below cost"), max_length=200, blank=True
    )
    cost_at_request = models.DecimalField(
        _("moving-average cost when requested"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    needs_approval = models.BooleanField(_("needs a second approval"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    requested_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system set it (demo data, imports)."),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    approved_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        ordering = ["-requested_at", "-pk"]
        permissions = [("approve_pricechange", "Can approve another operator's price change")]
        indexes = [
            models.Index(
                fields=["effective_at"],
                condition=Q(status="scheduled"),
                name="price_change_due_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="price_change_positive"),
            models.CheckConstraint(
                condition=Q(reference_amount__isnull=True) | Q(reference_amount__gt=F("amount")),
                name="price_change_reference_above_price",
            ),
            # Four eyes, kept by the database too: nobody approves their own request.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="price_change_four_eyes",
            ),
        ]

    def __str__(self):
        # The admin's lists load the SKU with its goods (select_related).
        return f"{self.sku} → {self.amount} ({self.get_status_display()})"


PRICE_CHANGE_MACHINE = Machine(
    Transition(
        "approve",
        sources={"pending"},
        target="scheduled",
        label=pgettext_lazy("price change", "approve"),
    ),
    Transition("reject", sources={"pending"}, target="rejected", label=_("reject")),
    Transition("apply", sources={"scheduled"}, target="applied", label=_("apply")),
    Transition("cancel", sources={"pending", "scheduled"}, target="cancelled", label=_("cancel")),
)


class PriceChangeRecord(TransitionRecord):
    subject = models.ForeignKey(PriceChange, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("price change history")
        verbose_name_plural = _("price change history")


class ProductOffer(models.Model):
    """A price below the regular one that a higher app offers for a while (a flash sale),
    copied here so that listings can show and filter on it in SQL without importing that
    app. Written only by ``catalog.services.pricing.refresh_offers``, from the sources
    registered with ``register_offer_source``; an offer is shown while
    ``starts_at <= now < ends_at``, to the second, whenever the page is read."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="offers")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.CASCADE, related_name="offers")
    price = models.DecimalField(_("offer price"), max_digits=12, decimal_places=2)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    source = models.CharField(_("source"), max_length=40)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["product", "ends_at"], name="product_offer_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="product_offer_price_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="product_offer_interval"
            ),
        ]

    def __str__(self):
        return f"{self.sku_id} @ {self.price}"
