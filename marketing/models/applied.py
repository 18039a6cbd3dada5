"""What the pricing engine applied to an order, as it was then: the rule of each
discount source (its tiers, scope and parameters) and the lines it covered. After a
partial return the same rules are applied again to what the order keeps
(``marketing.services.pricing.rechecks``), whatever operators changed since."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppliedOffer(models.Model):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="applied_offers"
    )
    source = models.CharField(_("source"), max_length=40)
    rule = models.JSONField(_("rule as applied"))
    skus = models.JSONField(_("lines covered"), default=list)

    class Meta:
        verbose_name = _("applied offer")
        verbose_name_plural = _("applied offers")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "source"], name="applied_offer_once"),
        ]

    def __str__(self):
        return f"{self.order_id} {self.source}"
