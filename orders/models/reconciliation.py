"""The daily comparison of each payment provider's bill with the shop's books: one run per
provider and day, and the payments and refunds that differ, for operators."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BillReconciliation(models.Model):
    provider = models.CharField(_("provider"), max_length=20)
    bill_date = models.DateField(_("bill date"))
    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    bill_lines = models.PositiveIntegerField(_("lines in the bill"), default=0)
    shop_lines = models.PositiveIntegerField(_("lines in the shop's books"), default=0)
    differences = models.PositiveIntegerField(_("differences"), default=0)
    # Why the bill could not be read (not published yet, provider down): tried again later.
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bill reconciliation")
        verbose_name_plural = _("bill reconciliations")
        ordering = ["-bill_date", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "bill_date"], name="bill_reconciliation_once_a_day"
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.bill_date}"


class BillDifference(models.Model):
    class Kind(models.TextChoices):
        MISSING_IN_BILL = "missing_in_bill", _("In the shop's books, not in the bill")
        MISSING_IN_SHOP = "missing_in_shop", _("In the bill, not in the shop's books")
        AMOUNT = "amount", _("Different amounts")

    class Entry(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    reconciliation = models.ForeignKey(
        BillReconciliation,
        verbose_name=_("bill reconciliation"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    entry = models.CharField(_("entry"), max_length=10, choices=Entry.choices)
    out_trade_no = models.CharField(_("payment number"), max_length=64)
    refund_no = models.CharField(_("refund number"), max_length=64, blank=True)
    shop_amount = models.DecimalField(
        _("shop's amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    bill_amount = models.DecimalField(
        _("bill's amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("bill difference")
        verbose_name_plural = _("bill differences")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.out_trade_no}"
