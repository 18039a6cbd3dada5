"""Operating targets: one figure per year and metric, split into months (quarters are
sums of their months)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.Model):
    class Split(models.TextChoices):
        SEASONALITY = "seasonality", _("by last year's seasonality")
        EVEN = "even", _("evenly by days")
        MANUAL = "manual", _("by hand")

    year = models.PositiveSmallIntegerField(_("year"))
    metric = models.CharField(_("metric"), max_length=40)
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
            models.UniqueConstraint(fields=["year", "metric"], name="analytics_target_year_metric"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="analytics_target_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.year} {self.metric}"


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
