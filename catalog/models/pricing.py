"""Prices: each SKU's price history. The current price is a query over it, never a copy.

The pricing issue adds change requests, four-eyes approval, scheduling and the honest
reference-price rule on top of these rows.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.Field()


class SkuPrice(models.Model):
    """The price of a SKU over ``[valid_from, valid_to)``; ``valid_to`` empty = until changed.

    An exclusion constraint keeps one SKU's intervals from overlapping, so "the price at
    time t" always has at most one answer.
    """

    sku = models.ForeignKey("catalog.SKU", on_delete=models.CASCADE, related_name="prices")
    amount = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    set_by = models.ForeignKey(
        "customers.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SKU price")
        verbose_name_plural = _("SKU prices")
        ordering = ["sku", "-valid_from"]
        indexes = [models.Index(fields=["sku", "-valid_from"], name="sku_price_lookup_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sku_price_positive"),
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
        return f"{self.sku_id}: {self.amount}"
