"""What the recommendation slots show and how they fare: product pairs bought together
(rebuilt nightly by SQL from the order lines) and each slot's daily impressions, clicks
and the orders that followed a click (built with the other daily facts)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

RATIO = {"max_digits": 9, "decimal_places": 6}


class ProductPair(models.Model):
    """Shoppers who bought ``product`` also bought ``other`` (买了又买), over the orders of
    the window (``MALL_RECOMMENDATION_PAIR_DAYS``). Each pair is stored both ways, since
    confidence and the slot differ by direction. The table is replaced whole by
    ``analytics.services.recommendations.build_product_pairs``.

    - support: orders with both / all orders of the window;
    - confidence: orders with both / orders with ``product``;
    - lift: confidence / (orders with ``other`` / all orders): above 1, buying
      ``product`` makes ``other`` likelier than it is anyway.
    """

    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("product"),
    )
    other = models.ForeignKey(
        "catalog.Product",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("bought with it"),
    )
    orders = models.IntegerField(_("orders with both"))
    support = models.DecimalField(_("support"), **RATIO)
    confidence = models.DecimalField(_("confidence"), **RATIO)
    lift = models.DecimalField(_("lift"), max_digits=12, decimal_places=4)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product pair")
        verbose_name_plural = _("product pairs")
        constraints = [
            models.UniqueConstraint(fields=["product", "other"], name="analytics_pair_once"),
            models.CheckConstraint(
                condition=~models.Q(product=models.F("other")), name="analytics_pair_two"
            ),
        ]
        # The slot reads one product's best pairs.
        indexes = [models.Index(fields=["product", "-lift"], name="analytics_pair_best")]

    def __str__(self):
        return f"{self.product_id} → {self.other_id}"


class DailySlotFact(models.Model):
    """One recommendation slot on one day: how often it came into view, how often one of
    its goods was clicked, and how many orders of the same session then bought a clicked
    product."""

    day = models.DateField(_("day"))
    slot = models.CharField(_("slot"), max_length=100)
    impressions = models.IntegerField(_("impressions"), default=0)
    clicks = models.IntegerField(_("clicks"), default=0)
    orders = models.IntegerField(_("orders"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "slot"], name="analytics_slot_fact_day")
        ]

    def __str__(self):
        return f"{self.day} {self.slot}"
