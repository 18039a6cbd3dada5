"""Operating targets: one figure per year and metric (for the whole shop, one category
with its subcategories, or one channel), split into months (quarters are sums of their
months)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.Model):
    class Split(models.TextChoices):
        SEASONALITY = "seasonality", _("by last year's seasonality")
        EVEN = "even", _("evenly by days")
        MANUAL = "manual", _("by hand")

    year = models.PositiveSmallIntegerField(_("year"))
    metric = models.CharField(_("metric"), max_length=40)
    # Neither: the whole shop. A category counts with its subcategories (product facts);
    # a channel is a UTM source, a referring site or "direct" (channel facts).
    category = models.ForeignKey(
        "catalog.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    channel = models.CharField(_("channel"), max_length=200, blank=True)
    amount = models.DecimalField(_("annual target"), max_digits=14, decimal_places=2)
    split = models.CharField(_("split"), max_length=12, choices=Split.choices)
    set_by = models.ForeignKey(
        "customers.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        permissions = [("set_target", _("Can set operating targets"))]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "metric", "category", "channel"],
                name="analytics_target_year_metric_scope",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=models.Q(category__isnull=True) | models.Q(channel=""),
                name="analytics_target_one_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="analytics_target_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.metric} {self.scope_label}".rstrip()

    @property
    def scope_label(self) -> str:
        if self.category_id:
            return str(self.category)
        return self.channel


class TargetMonth(models.Model):
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="months")
    month = models.PositiveSmallIntegerField(_("month"))
    amount = models.DecimalField(_("target"), max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "month"], name="analytics_target_month"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="analytics_target_month_1_12"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="analytics_target_month_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.target} {self.month:02d}"
