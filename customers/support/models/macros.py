"""Macros: a canned answer an agent applies to a ticket in one step. Besides the answer
(with the shopper's name, the order number and the ticket number filled in: ``[name]``,
``[order]``, ``[ticket]``, in Chinese ``【姓名】``, ``【订单号】``, ``【工单号】``) a macro may
set the ticket's priority, add tags, leave the ticket waiting for the customer or resolve
it, and grant a compensation coupon with a reason (marketing's grant, under its daily
limit per agent)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket


class Macro(models.Model):
    class Then(models.TextChoices):
        STAY = "", _("Leave the status as it is")
        WAIT = "wait", _("Wait for the customer")
        RESOLVE = "resolve", _("Resolve the ticket")

    name = models.CharField(_("name"), max_length=80, unique=True)
    body = models.TextField(
        _("answer"),
        help_text=_(
            "Sent to the shopper. [name] becomes the shopper's name, [order] the order "
            "number, [ticket] the ticket number."
        ),
    )
    priority = models.CharField(
        _("set priority to"),
        max_length=10,
        choices=Ticket.Priority.choices,
        blank=True,
        help_text=_("Empty: the priority stays."),
    )
    then = models.CharField(
        _("then"), max_length=10, choices=Then.choices, default=Then.STAY, blank=True
    )
    tags = ArrayField(
        models.CharField(max_length=30),
        verbose_name=_("add tags"),
        default=list,
        blank=True,
        help_text=_("Separated by commas."),
    )
    coupon_template = models.ForeignKey(
        "marketing.CouponTemplate",
        verbose_name=_("compensation coupon"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"channel": "compensation"},
    )
    coupon_reason = models.CharField(
        _("why the shopper is compensated"), max_length=200, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["position", "name"]
        constraints = [
            # A coupon is never granted without a reason.
            models.CheckConstraint(
                condition=models.Q(coupon_template__isnull=True) | ~models.Q(coupon_reason=""),
                name="macro_coupon_has_reason",
            ),
        ]

    def __str__(self):
        return self.name
