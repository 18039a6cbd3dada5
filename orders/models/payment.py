"""Payments through a provider (Alipay, WeChat Pay, or the sandbox shipped with the
shop), every notification the provider sent us, and refunds.

``Payment.refunded_amount`` is raised only by a conditional UPDATE that keeps it within
the amount paid (and a CHECK says so too), so concurrent or repeated refunds pay once.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Payment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Awaiting the shopper")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", pgettext_lazy("payment", "Failed")
        CLOSED = "closed", _("Closed")

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(_("provider"), max_length=20)
    out_trade_no = models.CharField(_("payment number"), max_length=32, unique=True)
    provider_trade_no = models.CharField(_("provider's number"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    refunded_amount = models.DecimalField(_("refunded"), max_digits=12, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set once, when the provider confirms the money arrived: also on a payment that could
    # not be kept (the order was cancelled or paid already), closed and refunded instead.
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payment_refunds_within_amount",
            ),
            # One successful payment per order: a second success is refunded, not kept.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="succeeded"), name="payment_one_success"
            ),
        ]

    def __str__(self):
        return self.out_trade_no


class PaymentNotification(models.Model):
    """Every asynchronous notification received, kept whether accepted or not."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DUPLICATE = "duplicate", _("Duplicate (nothing changed)")
        BAD_SIGNATURE = "bad_signature", _("Rejected: bad signature")
        WRONG_AMOUNT = "wrong_amount", _("Rejected: wrong amount")
        UNKNOWN = "unknown", _("Rejected: unknown payment")
        WRONG_MERCHANT = "wrong_merchant", _("Rejected: another merchant's notice")
        REPLAYED = "replayed", _("Rejected: replayed (too old)")
        LATE = "late", _("Paid after cancellation: refunded")
        DOUBLE = "double", _("Order paid already: refunded")
        FAILED = "failed", _("Payment failed")

    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    provider = models.CharField(_("provider"), max_length=20)
    received_at = models.DateTimeField(
        pgettext_lazy("notification", "received at"), default=timezone.now, db_index=True
    )
    body = models.JSONField(_("body"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    message = models.CharField(_("message"), max_length=200, blank=True)
    # The provider's own id of the notice (Alipay's notify_id, WeChat Pay's id): a notice
    # resent after it was handled is recognised as such.
    notice_id = models.CharField(_("notice id"), max_length=64, blank=True, db_index=True)
    refund = models.ForeignKey(
        "orders.Refund",
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.provider} {self.get_outcome_display()}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("refund", "Pending")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", pgettext_lazy("payment", "Failed")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    refund_no = models.CharField(_("refund number"), max_length=32, unique=True)
    provider_refund_no = models.CharField(_("provider's number"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # What asked for it: "late payment", an after-sales case, ... One refund per key.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    requested_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Submissions to the provider so far and the last error: a pending refund is being
    # retried, a failed one was refused by the provider and waits for a person.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return self.refund_no
