"""Stocktakes (盘点): counting what is really on the shelves and posting the difference.

An operator opens a count for one warehouse (all its goods, one category, or a random
cycle-count sample); warehouse staff enter the counted quantities; a manager approves and
the variances post as stocktake gain/loss movements. Sales are frozen for the counted
stock only when the operator chooses.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord


class Stocktake(models.Model):
    class Scope(models.TextChoices):
        ALL = "all", _("All goods in the warehouse")
        CATEGORY = "category", _("One category")
        SAMPLE = "sample", _("Random sample (cycle count)")
        CYCLE = "cycle", _("Scheduled cycle count (due by ABC class)")

    class Status(models.TextChoices):
        COUNTING = "counting", _("Counting")
        SUBMITTED = "submitted", _("Awaiting approval")
        APPROVED = "approved", _("Approved and posted")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = (Status.COUNTING, Status.SUBMITTED)

    warehouse = models.ForeignKey(
        "catalog.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="stocktakes",
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    freeze = models.BooleanField(
        _("freeze sales during the count"),
        default=False,
        help_text=_("Counted stock cannot be reserved until the count is approved or cancelled."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.COUNTING, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    opened_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the cycle-count job opened it."),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    approved_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-opened_at", "-pk"]
        permissions = [("approve_stocktake", "Can approve a stocktake and post its variances")]
        constraints = [
            # One count at a time per warehouse: two would fight over the same shelves.
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=Q(status__in=["counting", "submitted"]),
                name="stocktake_one_active_per_warehouse",
            ),
            models.CheckConstraint(
                condition=~Q(scope="category") | Q(category__isnull=False),
                name="stocktake_category_scope_has_category",
            ),
            models.CheckConstraint(
                condition=~Q(scope="sample") | Q(sample_size__gt=0),
                name="stocktake_sample_scope_has_size",
            ),
        ]

    def __str__(self):
        return _("Stocktake %(number)s at %(warehouse)s") % {
            "number": self.pk,
            "warehouse": self.warehouse,
        }


STOCKTAKE_MACHINE = Machine(
    Transition("submit", sources={"counting"}, target="submitted", label=_("submit the count")),
    Transition("recount", sources={"submitted"}, target="counting", label=_("send back to count")),
    Transition("approve", sources={"submitted"}, target="approved", label=_("approve and post")),
    Transition("cancel", sources={"counting", "submitted"}, target="cancelled", label=_("cancel")),
)


class StocktakeStatusChange(TransitionRecord):
    subject = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("stocktake history")
        verbose_name_plural = _("stocktake history")


class StocktakeLine(models.Model):
    """One stock row to count. ``expected`` is the book ``on_hand`` when the count was
    entered, so sales and receipts during an unfrozen count do not show as variances."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    stock = models.ForeignKey(
        "catalog.Stock", verbose_name=_("stock"), on_delete=models.PROTECT, related_name="+"
    )
    expected = models.IntegerField(_("book quantity"))
    counted = models.PositiveIntegerField(_("counted quantity"), null=True, blank=True)
    counted_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("counted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "stock"], name="stocktake_line_once"),
        ]

    def __str__(self):
        return str(self.stock)

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
