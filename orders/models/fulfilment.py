"""Fulfilment: the parcels an order leaves in, and what the carrier says about them.

A paid order is split into one ``Shipment`` per warehouse that holds its units; each
``ShipmentLine`` carries the reservation it consumes at shipment (the order line's own,
or a new one for a reshipment or an exchange). Tracking events are stored once per
carrier event id, however often a parcel is polled.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.statemachine import Machine, Transition, TransitionRecord


class Shipment(models.Model):
    class Status(models.TextChoices):
        PICKING = "picking", _("To pick and pack")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("On its way")
        DELIVERED = "delivered", _("Delivered")
        LOST = "lost", _("Lost")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("shipment number"), max_length=24, unique=True)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipments"
    )
    warehouse = models.ForeignKey(
        "catalog.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PICKING, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    # Why this parcel exists besides the order's first shipment: a reshipment of a lost or
    # damaged parcel, or an after-sales replacement.
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replacements",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    carrier = models.CharField(_("carrier"), max_length=20, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    # Dispatch: the parcel must leave by ``ship_by`` (the warehouse's days to dispatch
    # after payment, declared holidays not counted); the warehouse lead is told once
    # before it is missed (``escalated_at``).
    ship_by = models.DateTimeField(_("ship by"), null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The condition check at packing: the parcel leaves only when all three hold.
    intact = models.BooleanField(_("intact"), default=False)
    complete = models.BooleanField(pgettext_lazy("parcel", "complete"), default=False)
    labelled = models.BooleanField(_("labelled"), default=False)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    packed_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("packed by"),
    )
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shipped by"),
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Polling the carrier: when the last event happened, when to ask again, and how many
    # polls in a row brought nothing new or failed (the backoff grows with it).
    last_event_at = models.DateTimeField(_("last tracking event"), null=True, blank=True)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)
    idle_polls = models.PositiveIntegerField(_("polls without news"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("pack_shipment", "Can confirm packing"),
            ("ship_shipment", "Can hand shipments to a carrier"),
        ]
        indexes = [
            models.Index(
                fields=["next_poll_at"], condition=Q(status="shipped"), name="shipment_poll_due_idx"
            )
        ]
        constraints = [
            # A parcel leaves only with its condition check passed.
            models.CheckConstraint(
                condition=Q(status__in=["picking", "cancelled"])
                | Q(intact=True, complete=True, labelled=True),
                name="shipment_condition_checked_to_leave",
            ),
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_number_once",
            ),
        ]

    def __str__(self):
        return self.number


SHIPMENT_MACHINE = Machine(
    Transition("pack", sources={"picking"}, target="packed", label=_("confirm packing")),
    Transition("ship", sources={"packed"}, target="shipped", label=_("hand to the carrier")),
    Transition("deliver", sources={"shipped"}, target="delivered", label=_("record delivery")),
    Transition("lose", sources={"shipped"}, target="lost", label=_("record as lost")),
    Transition(
        "cancel", sources={"picking", "packed"}, target="cancelled", label=_("cancel the shipment")
    ),
)


class ShipmentStatusChange(TransitionRecord):
    subject = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("shipment history entry")
        verbose_name_plural = _("shipment history")


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="shipment_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # The units this line takes out of the warehouse when it ships.
    reservation = models.OneToOneField(
        "catalog.Reservation", on_delete=models.PROTECT, related_name="shipment_line"
    )

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity"),
        ]

    def __str__(self):
        return f"{self.order_line_id} × {self.quantity}"


class TrackingEvent(models.Model):
    class Kind(models.TextChoices):
        COLLECTED = "collected", _("Collected by the carrier")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        DELAYED = "delayed", _("Delayed")
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        RETURNED = "returned", _("Returned to the sender")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("carrier's event id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "pk"]
        constraints = [
            # Polled again and again, a carrier's event is stored once.
            models.UniqueConstraint(fields=["shipment", "event_id"], name="tracking_event_once"),
        ]

    def __str__(self):
        return f"{self.shipment_id} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"
