"""Orders: what a shopper bought, frozen at the moment of ordering.

An order line snapshots the product name, SKU, price and picture, so that a later change
to the goods never rewrites what was sold. Each line holds the stock reservation that
keeps its units until payment (consumed at shipment, released on cancellation).
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.crypto import EncryptedCharField, blind_index
from mall.statemachine import Machine, Transition, TransitionRecord


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        # Shipped, but nothing arrived: every parcel was lost and its case resolved.
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("order number"), max_length=24, unique=True)
    user = models.ForeignKey(
        "customers.User", verbose_name=_("shopper"), on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PENDING_PAYMENT,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    # The address as it was when ordering: the address book may change later.
    recipient = models.CharField(_("recipient"), max_length=50)
    # Personal data encrypted at rest (mall/crypto.py); the mobile number is found by
    # its keyed hash (``mobile_index``, kept by ``save``).
    mobile = EncryptedCharField(_("mobile number"), max_length=11)
    mobile_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    street = EncryptedCharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=20)
    goods_total = models.DecimalField(_("goods"), max_digits=12, decimal_places=2)
    shipping_fee = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(_("discounts"), max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    tax_number = EncryptedCharField(_("tax number"), max_length=20, blank=True)
    idempotency_key = models.CharField(max_length=64)
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now, db_index=True)
    pay_by = models.DateTimeField(_("pay by"))
    # Risk review: an order that looks risky waits for an operator before fulfilment.
    needs_review = models.BooleanField(_("needs review"), default=False)
    review_reasons = models.JSONField(_("review reasons"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # When the last parcel arrived: the after-sales windows count from here.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-pk"]
        permissions = [
            ("review_order", "Can release risky orders to fulfilment"),
            ("cancel_order", "Can cancel orders for shoppers"),
        ]
        indexes = [
            models.Index(
                fields=["pay_by"],
                condition=Q(status="pending_payment"),
                name="order_unpaid_deadline_idx",
            )
        ]
        constraints = [
            # A retried submit (double click, network retry) finds the first order.
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="order_idempotency_key_once"
            ),
            models.CheckConstraint(
                condition=Q(total=F("goods_total") + F("shipping_fee") - F("discount_total")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.mobile_index = blind_index(self.mobile)
        if kwargs.get("update_fields") is not None and "mobile" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "mobile_index"}
        super().save(*args, **kwargs)


# Orders that were sales: paid, whatever happened after (honest "was" prices, the
# shopper's history for the risk review, units sold in the after-sales report).
SOLD = (
    Order.Status.PAID,
    Order.Status.IN_FULFILMENT,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.COMPLETED,
    Order.Status.CLOSED,
)

ORDER_MACHINE = Machine(
    Transition("pay", sources={"pending_payment"}, target="paid", label=_("record the payment")),
    Transition(
        "start_fulfilment", sources={"paid"}, target="in_fulfilment", label=_("start fulfilment")
    ),
    Transition("ship", sources={"in_fulfilment"}, target="shipped", label=_("ship")),
    Transition("deliver", sources={"shipped"}, target="delivered", label=_("confirm delivery")),
    Transition("complete", sources={"delivered"}, target="completed", label=_("complete")),
    Transition("close", sources={"shipped"}, target="closed", label=_("close: nothing arrived")),
    # A paid order is cancelled with its refund (the payments service does both); in
    # fulfilment, only while every parcel is still in the warehouse (the service checks).
    Transition(
        "cancel",
        sources={"pending_payment", "paid", "in_fulfilment"},
        target="cancelled",
        label=_("cancel"),
    ),
    Transition(
        "expire",
        sources={"pending_payment"},
        target="cancelled",
        label=_("cancel as unpaid"),
    ),
)


class OrderStatusChange(TransitionRecord):
    subject = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("order timeline entry")
        verbose_name_plural = _("order timeline")


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    product_name = models.CharField(_("product"), max_length=120)
    sku_code = models.CharField(_("SKU code"), max_length=40)
    sku_label = models.CharField(_("specification"), max_length=200, blank=True)
    image = models.CharField(_("picture"), max_length=255, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)
    reservation = models.OneToOneField(
        "catalog.Reservation", on_delete=models.PROTECT, related_name="order_line"
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="order_line_total_adds_up",
            ),
        ]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"
