"""Purchasing: receipts of goods bought from suppliers, which raise stock and record
what each unit cost (the basis of stock value, variance value and replenishment)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PurchaseReceipt(models.Model):
    supplier = models.ForeignKey(
        "catalog.Supplier",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="purchase_receipts",
    )
    warehouse = models.ForeignKey(
        "catalog.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="purchase_receipts",
    )
    delivery_note = models.CharField(_("delivery note number"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        "customers.User", verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("purchase receipt")
        verbose_name_plural = _("purchase receipts")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return _("Receipt %(number)s") % {"number": self.pk}


class PurchaseReceiptLine(models.Model):
    receipt = models.ForeignKey(PurchaseReceipt, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="receipt_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["pk"]
        indexes = [models.Index(fields=["sku", "-id"], name="receipt_line_latest_cost_idx")]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "sku"], name="receipt_line_sku_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_line_quantity"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="receipt_line_cost"),
        ]

    def __str__(self):
        return f"{self.sku_id} × {self.quantity}"
