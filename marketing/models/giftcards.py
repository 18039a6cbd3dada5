"""Gift cards (礼品卡): a code and a balance. The balance moves only with an append-only
ledger entry in the same transaction (like stock), by a conditional UPDATE, and the
database keeps it non-negative (a CHECK): two checkouts spending one card at once cannot
both take more than is there. Outstanding balances are the shop's liability."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GiftCard(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")

    code = models.CharField(_("card number"), max_length=24, unique=True)
    face_value = models.DecimalField(_("face value"), max_digits=12, decimal_places=2)
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    owner = models.ForeignKey(
        "customers.User",
        verbose_name=_("holder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gift_cards",
    )
    bound_at = models.DateTimeField(_("added to the wallet at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        ordering = ["-issued_at", "-pk"]
        permissions = [("view_liability_report", "Can see the gift card liability report")]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_not_negative"),
            models.CheckConstraint(condition=Q(face_value__gt=0), name="gift_card_face_value"),
        ]

    def __str__(self):
        return self.masked

    @property
    def masked(self) -> str:
        return f"****{self.code[-4:]}"


class GiftCardEntry(models.Model):
    """One movement of a card's balance; the entries of a card add up to its balance."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("issued")
        SPEND = "spend", _("spent on an order")
        RELEASE = "release", _("given back: order cancelled")
        REFUND = "refund", _("refunded")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, help_text=_("Negative when spent.")
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gift_card_entries",
    )
    # One entry per key ("spend:<order>:<card>", "release:<order>:<card>", a refund's
    # key): a retried step never moves the balance twice.
    key = models.CharField(max_length=120, unique=True)
    actor = models.ForeignKey(
        "customers.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("gift card entry")
        verbose_name_plural = _("gift card ledger")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="gift_card_entry_not_zero"),
        ]

    def __str__(self):
        return f"{self.card_id} {self.kind} {self.amount}"
