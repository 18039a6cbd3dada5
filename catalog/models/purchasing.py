"""Purchasing: purchase orders to suppliers (draft → sent → confirmed → partly received
→ received or closed short), the receipts of what arrived, which raise stock and record
what each unit cost, the differences found on receiving (short, over, damaged), and the
moving-average unit cost of every SKU."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent to the supplier")
        AMENDED = "amended", _("Amended by the supplier")
        CONFIRMED = "confirmed", _("Confirmed")
        PARTLY_RECEIVED = "partly_received", _("Partly received")
        RECEIVED = "received", _("Received")
        CLOSED_SHORT = "closed_short", _("Closed short")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("purchase order number"), max_length=24, unique=True)
    supplier = models.ForeignKey(
        "catalog.Supplier",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    warehouse = models.ForeignKey(
        "catalog.Warehouse",
        verbose_name=_("deliver to"),
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    expected_date = models.DateField(_("expected delivery date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    from_suggestion = models.BooleanField(_("from the replenishment suggestions"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "customers.User", verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("send_purchaseorder", "Can send purchase orders to suppliers"),
            ("confirm_purchaseorder", "Can confirm or amend a purchase order for the supplier"),
            ("receive_purchaseorder", "Can receive goods against a purchase order"),
        ]

    def __str__(self):
        return self.number


PURCHASE_ORDER_MACHINE = Machine(
    Transition("send", sources={"draft"}, target="sent", label=_("send to the supplier")),
    Transition("confirm", sources={"sent"}, target="confirmed", label=_("confirm")),
    Transition("amend", sources={"sent"}, target="amended", label=_("amend")),
    Transition(
        "accept_amendment", sources={"amended"}, target="confirmed", label=_("accept the amendment")
    ),
    Transition(
        "receive_part",
        sources={"confirmed", "partly_received"},
        target="partly_received",
        label=_("receive part"),
    ),
    Transition(
        "receive",
        sources={"confirmed", "partly_received"},
        target="received",
        label=_("receive in full"),
    ),
    Transition(
        "close_short",
        sources={"confirmed", "partly_received"},
        target="closed_short",
        label=_("close short"),
    ),
    Transition(
        "cancel",
        sources={"draft", "sent", "amended", "confirmed"},
        target="cancelled",
        label=_("cancel"),
    ),
)


class PurchaseOrderStatusChange(TransitionRecord):
    subject = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("purchase order history")
        verbose_name_plural = _("purchase order history")


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity ordered"))
    unit_cost = models.DecimalField(_("agreed unit cost"), max_digits=12, decimal_places=2)
    received = models.PositiveIntegerField(_("received into stock"), default=0)
    damaged = models.PositiveIntegerField(_("arrived damaged"), default=0)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="purchase_order_line_sku_once"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="purchase_order_line_quantity"
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="purchase_order_line_cost"),
        ]

    def __str__(self):
        # The admin's inline loads the SKU with the line (select_related).
        return f"{self.sku.code} × {self.quantity}"

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received - self.damaged, 0)


class ReceiptDifference(models.Model):
    """What arrived against a purchase order differs from what was ordered: units short
    (recorded when the order is closed short), over (more than ordered), or damaged
    (arrived but not fit for stock)."""

    class Kind(models.TextChoices):
        SHORT = "short", _("Short")
        OVER = "over", _("Over")
        DAMAGED = "damaged", _("Damaged")

    line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.CASCADE, related_name="differences"
    )
    receipt = models.ForeignKey(
        "catalog.PurchaseReceipt",
        verbose_name=_("receipt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="differences",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("units"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        "customers.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("receiving difference")
        verbose_name_plural = _("receiving differences")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_difference_units"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity}"


class SkuCost(models.Model):
    """The moving-average unit cost of a SKU: every receipt of ``n`` units at ``c`` moves
    it to (average × units on hand before + c × n) / (units on hand before + n). The
    price floor (``catalog.services.pricing.below_cost_problems``) reads it."""

    sku = models.OneToOneField(
        "catalog.SKU",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="cost",
        verbose_name=_("SKU"),
    )
    average = models.DecimalField(_("moving-average unit cost"), max_digits=12, decimal_places=2)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("SKU cost")
        verbose_name_plural = _("SKU costs")
        constraints = [
            models.CheckConstraint(condition=Q(average__gte=0), name="sku_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.sku_id}: {self.average}"


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
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
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
        # The admin's inline loads the SKU with the line (select_related).
        return f"{self.sku.code} × {self.quantity}"
