"""Flash sales (秒杀): one SKU at a price, a number of units and a per-shopper limit,
between two times. A Redis gate answers the crowd; these rows are the final guard:
``sold`` can never pass ``quantity`` (a CHECK, raised by conditional UPDATE), and a
shopper holds at most one live claim per sale; one SKU has at most one sale at a time (an
exclusion constraint).

The tables keep the names they had in the orders app, where flash sales lived until
marketing took them (migration marketing 0001).
"""

from django.contrib import admin
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.ranges import TsTzRange


class FlashSale(models.Model):
    class State(models.TextChoices):
        """Where a sale stands by the clock (the API's ``state``); a live sale may be sold
        out, which ``units_left`` tells."""

        UPCOMING = "upcoming", _("upcoming")
        LIVE = "live", _("live")
        ENDED = "ended", _("ended")

    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="flash_sales"
    )
    price = models.DecimalField(_("flash price"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("units offered"))
    per_shopper_limit = models.PositiveIntegerField(_("limit per shopper"), default=1)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    sold = models.PositiveIntegerField(_("units claimed"), default=0)
    # Flash-sale goods take no other promotion or coupon unless the sale says so.
    stacks_with_promotions = models.BooleanField(
        _("combines with promotions and coupons"), default=False
    )
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flash_sales",
        help_text=_("What it gives away is booked against this campaign's budget."),
    )
    created_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        db_table = "orders_flashsale"
        verbose_name = _("flash sale")
        verbose_name_plural = _("flash sales")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="flash_sale_price_positive"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="flash_sale_quantity"),
            models.CheckConstraint(
                condition=Q(per_shopper_limit__gt=0), name="flash_sale_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="flash_sale_interval"
            ),
            models.CheckConstraint(
                condition=Q(sold__lte=F("quantity")), name="flash_sale_never_oversold"
            ),
            # Two operators scheduling the same SKU at once: the second one is refused.
            ExclusionConstraint(
                name="flash_sale_no_overlap",
                expressions=[
                    ("sku", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.sku} @ {self.price}"

    @property
    @admin.display(description=_("units left"))
    def units_left(self) -> int:
        """Units not claimed in the database (committed claims; the Redis gate may show
        fewer while attempts are under way)."""
        return max(self.quantity - self.sold, 0)

    @property
    def state(self) -> "FlashSale.State":
        return self.state_at(timezone.now())

    def state_at(self, now) -> "FlashSale.State":
        if now < self.starts_at:
            return self.State.UPCOMING
        return self.State.LIVE if now < self.ends_at else self.State.ENDED


class FlashSaleClaim(models.Model):
    """The units a shopper won in a sale, with the order placed for them. A claim whose
    order is cancelled (or never paid) is released and its units go back to the sale."""

    flash_sale = models.ForeignKey(FlashSale, on_delete=models.PROTECT, related_name="claims")
    user = models.ForeignKey("customers.User", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="flash_claim"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    released = models.BooleanField(_("released"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "orders_flashsaleclaim"
        verbose_name = _("flash sale claim")
        verbose_name_plural = _("flash sale claims")
        constraints = [
            models.UniqueConstraint(
                fields=["flash_sale", "user"],
                condition=Q(released=False),
                name="flash_claim_one_live_per_shopper",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="flash_claim_quantity"),
        ]

    def __str__(self):
        return f"{self.flash_sale_id}: {self.user_id} × {self.quantity}"
