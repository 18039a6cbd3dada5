"""Logistics exception cases: a parcel delayed (no tracking event for too long), lost or
damaged. Operators resolve each with a reship, a refund, a claim against the carrier, or
no action (it arrived after all), recording what it cost and what the carrier paid."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.statemachine import Machine, Transition, TransitionRecord


class LogisticsCase(models.Model):
    class Kind(models.TextChoices):
        DELAYED = "delayed", _("Delayed")
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        RETURNED = "returned", _("Returned to the sender")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("logistics case", "Open")
        RESHIPPED = "reshipped", _("Reshipped")
        REFUNDED = "refunded", _("Refunded")
        CLAIMED = "claimed", _("Claimed from the carrier")
        CLOSED = "closed", _("Closed without action")

    shipment = models.ForeignKey(
        "orders.Shipment",
        verbose_name=_("shipment"),
        on_delete=models.PROTECT,
        related_name="logistics_cases",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    detail = models.CharField(_("what happened"), max_length=200, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    resolution = models.TextField(_("resolution"), blank=True)
    # What the case cost the shop (goods and postage of a reshipment, a refund) and what
    # the carrier paid back on a claim.
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0)
    recovered = models.DecimalField(
        _("recovered from the carrier"), max_digits=12, decimal_places=2, default=0
    )
    reshipment = models.ForeignKey(
        "orders.Shipment",
        verbose_name=_("reshipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund = models.ForeignKey(
        "orders.Refund",
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("logistics exception")
        verbose_name_plural = _("logistics exceptions")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # The polling job may see a silence or a loss many times: one open case each.
            models.UniqueConstraint(
                fields=["shipment", "kind"],
                condition=Q(status="open"),
                name="logistics_case_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(cost__gte=0) & Q(recovered__gte=0), name="logistics_case_amounts"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.shipment_id}"


LOGISTICS_CASE_MACHINE = Machine(
    Transition("reship", sources={"open"}, target="reshipped", label=_("reship")),
    Transition(
        "refund", sources={"open"}, target="refunded", label=pgettext_lazy("action", "refund")
    ),
    Transition("claim", sources={"open"}, target="claimed", label=_("claim from the carrier")),
    Transition("close", sources={"open"}, target="closed", label=_("close without action")),
)


class LogisticsCaseChange(TransitionRecord):
    subject = models.ForeignKey(LogisticsCase, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("logistics exception history entry")
        verbose_name_plural = _("logistics exception history")
