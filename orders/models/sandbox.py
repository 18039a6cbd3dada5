"""The sandbox payment provider's own books. They stand in for Alipay's or WeChat Pay's
servers, so the shop can take (pretend) payments end to end without outside network.

Nothing of the shop refers to these rows: the shop knows a trade only by its
``out_trade_no``, as it would know a real provider's. The sandbox refuses, on its own,
to refund more than it received (a conditional UPDATE and a CHECK) and to refund twice
for one merchant refund number (a unique constraint), as a real provider does.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SandboxTrade(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the payer")
        PAID = "paid", _("Paid")
        FAILED = "failed", pgettext_lazy("payment", "Failed")
        CLOSED = "closed", _("Closed")

    trade_no = models.CharField(_("sandbox trade number"), max_length=32, unique=True)
    out_trade_no = models.CharField(_("merchant's payment number"), max_length=32, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(_("refunded"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    notify_url = models.URLField(_("notification URL"), max_length=500)
    return_url = models.URLField(_("return URL"), max_length=500)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    settled_at = models.DateTimeField(_("paid or failed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Delivery of the asynchronous notification: retried until the merchant answers
    # "success" (then notified_at is set) or the attempts run out.
    notified_at = models.DateTimeField(_("merchant acknowledged at"), null=True, blank=True)
    notify_attempts = models.PositiveIntegerField(_("notification attempts"), default=0)
    last_notify_result = models.CharField(_("last delivery result"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sandbox trade")
        verbose_name_plural = _("sandbox trades")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_trade_amount"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="sandbox_refunds_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount=0) | Q(status="paid"),
                name="sandbox_refunds_only_when_paid",
            ),
        ]

    def __str__(self):
        return self.trade_no


class SandboxRefund(models.Model):
    trade = models.ForeignKey(SandboxTrade, on_delete=models.PROTECT, related_name="refunds")
    # The merchant's refund number (Alipay's out_request_no): one refund per number.
    out_request_no = models.CharField(_("merchant's refund number"), max_length=64, unique=True)
    refund_no = models.CharField(_("sandbox refund number"), max_length=32, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox refund")
        verbose_name_plural = _("sandbox refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_refund_amount"),
        ]

    def __str__(self):
        return self.refund_no
