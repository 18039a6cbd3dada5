"""After-sales cases (售后): a shopper asks for a return, an exchange, a refund without
return or a repair of delivered goods; support agents decide; the warehouse receives and
inspects what comes back; refunds go through the payment provider.

The case is a state machine with a recorded timeline. Each line says how many units of
an order line it is about and, once inspected, how many can be sold again and how many
are written off.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.statemachine import Machine, Transition, TransitionRecord


class AfterSalesCase(models.Model):
    class Kind(models.TextChoices):
        RETURN = "return", _("Return and refund")
        EXCHANGE = "exchange", _("Exchange")
        REFUND = "refund", _("Refund without return")
        REPAIR = "repair", _("Repair")

    class Reason(models.TextChoices):
        NO_REASON = "no_reason", _("Changed my mind (7-day no-reason return)")
        QUALITY = "quality", _("Quality problem")
        DAMAGED = "damaged", _("Arrived damaged")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        MISSING = "missing", _("Parts missing")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        IN_TRANSIT = "in_transit", _("Goods on their way back")
        RECEIVED = "received", _("Received and inspected")
        REFUNDED = "refunded", _("Refunded")
        REPLACEMENT_SHIPPED = "replacement_shipped", _("Replacement shipped")
        REPAIRED = "repaired", _("Repaired and sent back")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    number = models.CharField(_("case number"), max_length=24, unique=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="after_sales_cases",
    )
    user = models.ForeignKey(
        "customers.User",
        verbose_name=_("shopper"),
        on_delete=models.PROTECT,
        related_name="after_sales_cases",
    )
    kind = models.CharField(_("what the shopper asks for"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.REQUESTED,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    # The goods coming back.
    return_carrier = models.CharField(_("return carrier"), max_length=20, blank=True)
    return_tracking_number = models.CharField(
        _("return tracking number"), max_length=64, blank=True
    )
    # The inspection when they arrive.
    inspected_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inspected by"),
    )
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    inspection_note = models.TextField(_("inspection note"), blank=True)
    # Money back: the goods' part and the shipping part (by the policy: the seller pays
    # when the goods were at fault), and the refund that paid it.
    refund_amount = models.DecimalField(
        _("refund for the goods"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    shipping_refund = models.DecimalField(
        _("refund for shipping"), max_digits=12, decimal_places=2, default=0
    )
    # The part of the refund (goods + shipping) that went back to gift cards, in the
    # proportion the order was paid by them; the rest went back through ``refund``.
    stored_value_refund = models.DecimalField(
        _("refunded to gift cards"), max_digits=12, decimal_places=2, default=0
    )
    refund = models.ForeignKey(
        "orders.Refund",
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replacement = models.ForeignKey(
        "orders.Shipment",
        verbose_name=_("replacement shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("decide_aftersalescase", "Can approve or reject after-sales cases"),
            ("inspect_aftersalescase", "Can receive and inspect returned goods"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0),
                name="after_sales_refund_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(shipping_refund__gte=0), name="after_sales_shipping_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(stored_value_refund__gte=0),
                name="after_sales_stored_value_not_negative",
            ),
        ]

    def __str__(self):
        return self.number


# A case still being worked: it holds the order open (no automatic completion).
OPEN_AFTER_SALES = frozenset(
    {
        AfterSalesCase.Status.REQUESTED,
        AfterSalesCase.Status.APPROVED,
        AfterSalesCase.Status.IN_TRANSIT,
        AfterSalesCase.Status.RECEIVED,
    }
)

AFTER_SALES_MACHINE = Machine(
    Transition("approve", sources={"requested"}, target="approved", label=_("approve")),
    Transition("reject", sources={"requested"}, target="rejected", label=_("reject")),
    Transition(
        "withdraw", sources={"requested", "approved"}, target="withdrawn", label=_("withdraw")
    ),
    Transition(
        "send_back", sources={"approved"}, target="in_transit", label=_("send the goods back")
    ),
    Transition(
        "receive", sources={"in_transit"}, target="received", label=_("receive and inspect")
    ),
    # A refund without return is paid once approved; returns once received.
    Transition(
        "refund",
        sources={"approved", "received"},
        target="refunded",
        label=pgettext_lazy("action", "refund"),
    ),
    Transition(
        "ship_replacement",
        sources={"received"},
        target="replacement_shipped",
        label=_("ship the replacement"),
    ),
    Transition("repair", sources={"received"}, target="repaired", label=_("send back repaired")),
    Transition(
        "close",
        sources={"rejected", "refunded", "replacement_shipped", "repaired"},
        target="closed",
        label=_("close"),
    ),
)


class AfterSalesStatusChange(TransitionRecord):
    subject = models.ForeignKey(AfterSalesCase, on_delete=models.CASCADE, related_name="timeline")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("after-sales timeline entry")
        verbose_name_plural = _("after-sales timeline")


class AfterSalesLine(models.Model):
    case = models.ForeignKey(AfterSalesCase, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="after_sales_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # After inspection: units back on sale (a return movement) and units written off.
    resaleable = models.PositiveIntegerField(_("back to stock"), default=0)
    written_off = models.PositiveIntegerField(_("written off"), default=0)
    write_off_reason = models.CharField(_("why written off"), max_length=200, blank=True)
    # The goods' part of the case's refund that paid for this line's units (the case's
    # shipping part is not split by line): what the after-sales report sums by product.
    refund_amount = models.DecimalField(
        _("refunded for the goods"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("after-sales line")
        verbose_name_plural = _("after-sales lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="after_sales_line_quantity"),
            models.CheckConstraint(
                condition=Q(resaleable__lte=F("quantity") - F("written_off")),
                name="after_sales_line_inspected_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0),
                name="after_sales_line_refund_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.order_line_id} × {self.quantity}"


def after_sales_photo_path(instance, filename):
    # Private: served only to the case's shopper and staff, never under /media/ publicly.
    return f"aftersales/{instance.case_id}/{filename}"


class AfterSalesPhoto(models.Model):
    case = models.ForeignKey(AfterSalesCase, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=after_sales_photo_path)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("after-sales photo")
        verbose_name_plural = _("after-sales photos")
        ordering = ["pk"]

    def __str__(self):
        return self.image.name
