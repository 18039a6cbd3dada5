"""Orders: what a shopper bought, frozen at the moment of ordering.

An order line snapshots the product name, SKU, price and picture, so that a later change
to the goods never rewrites what was sold. Each line holds the stock reservations that
keep its units until payment (one per warehouse the line is taken from; consumed at
shipment, released on cancellation).
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.crypto import EncryptedCharField, blind_index
from mall.labels import Label, render
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
    mobile_index = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        verbose_name=_("mobile number index"),
    )
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    street = EncryptedCharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=20)
    goods_total = models.DecimalField(_("goods"), max_digits=12, decimal_places=2)
    shipping_fee = models.DecimalField(_("shipping"), max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(_("discounts"), max_digits=12, decimal_places=2, default=0)
    # The part of ``discount_total`` that came off the shipping fee (free shipping).
    shipping_discount = models.DecimalField(
        _("shipping discount"), max_digits=12, decimal_places=2, default=0
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    # The part of ``total`` paid from stored balances (gift cards) at placement; the rest
    # (``amount_due``) is paid through a payment provider.
    stored_value_paid = models.DecimalField(
        _("paid by gift card"), max_digits=12, decimal_places=2, default=0
    )
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    tax_number = EncryptedCharField(_("tax number"), max_length=20, blank=True)
    idempotency_key = models.CharField(max_length=64, verbose_name=_("idempotency key"))
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
            models.CheckConstraint(
                condition=Q(shipping_discount__gte=0)
                & Q(shipping_discount__lte=F("shipping_fee"))
                & Q(discount_total__gte=F("shipping_discount"))
                & Q(discount_total__lte=F("goods_total") + F("shipping_discount")),
                name="order_discounts_within_goods_and_fee",
            ),
            models.CheckConstraint(
                condition=Q(stored_value_paid__gte=0) & Q(stored_value_paid__lte=F("total")),
                name="order_stored_value_within_total",
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.mobile_index = blind_index(self.mobile)
        if kwargs.get("update_fields") is not None and "mobile" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "mobile_index"}
        super().save(*args, **kwargs)

    @property
    def goods_discount(self):
        return self.discount_total - self.shipping_discount

    @property
    def amount_due(self):
        """What a payment provider is asked for: the total less gift cards."""
        return self.total - self.stored_value_paid


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
    # The units held for the line: one reservation per warehouse it is taken from (a
    # line the nearest warehouse cannot fill alone is split, and ships in one parcel per
    # warehouse). Their quantities add up to the line's.
    reservations = models.ManyToManyField(
        "catalog.Reservation", through="OrderLineReservation", related_name="order_lines"
    )
    # The goods discounts on this line, to the cent (per source: OrderLineDiscount): the
    # line cost the shopper line_total - discount_total.
    discount_total = models.DecimalField(_("discounts"), max_digits=12, decimal_places=2, default=0)
    # A gift with purchase (满赠): no price; ``gift_value`` is its price when given, what
    # keeping it costs if a return leaves the order short of the gift's threshold.
    gift_source = models.CharField(_("gift of"), max_length=40, blank=True)
    gift_value = models.DecimalField(_("gift's value"), max_digits=12, decimal_places=2, default=0)

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
            models.CheckConstraint(
                condition=Q(discount_total__gte=0) & Q(discount_total__lte=F("line_total")),
                name="order_line_discount_within_total",
            ),
            models.CheckConstraint(
                condition=Q(gift_source="") | Q(unit_price=0),
                name="order_line_gift_is_free",
            ),
        ]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"

    @property
    def is_gift(self) -> bool:
        return bool(self.gift_source)

    @property
    def paid_total(self):
        """What the shopper paid for the line's units: its total less its discounts."""
        return self.line_total - self.discount_total


class OrderDiscount(models.Model):
    """One source's discount on an order (a promotion, a coupon), with the line the
    shopper read ("满199减20：已减¥20.00") kept as a message id and parameters, so each
    reader sees it in their language."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("goods")
        SHIPPING = "shipping", _("shipping")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(_("source"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    label = models.JSONField(_("explanation"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("order discount")
        verbose_name_plural = _("order discounts")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "source"], name="order_discount_source_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_discount_positive"),
        ]
        indexes = [models.Index(fields=["source"], name="order_discount_source_idx")]

    def __str__(self):
        return f"{self.source}: {self.amount}"

    @property
    def text(self) -> str:
        return render(Label.from_json(self.label))


class OrderLineDiscount(models.Model):
    """The part of one source's discount that fell on one order line, to the cent: what
    refunds of that line's units give back (less) and what promotion reports sum."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(_("source"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line discount")
        verbose_name_plural = _("order line discounts")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "source"], name="order_line_discount_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_line_discount_positive"),
        ]

    def __str__(self):
        return f"{self.source}: {self.amount}"


class OrderLineReservation(models.Model):
    """One warehouse's part of an order line: the reservation holding its units. A
    reservation belongs to one line (the unique key)."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="parts")
    reservation = models.OneToOneField(
        "catalog.Reservation", on_delete=models.PROTECT, related_name="order_line_part"
    )

    class Meta:
        verbose_name = _("order line part")
        verbose_name_plural = _("order line parts")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.order_line_id}: {self.reservation_id}"
