"""Risk review: contacts that operators have blocked. An order to a blocked phone number
or to an address containing a blocked fragment waits for an operator before fulfilment
(see ``orders.services.risk_review``)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BlockedContact(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Mobile number")
        ADDRESS = "address", _("Address fragment")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A phone is stored as its 11 digits; an address fragment is matched, without
    # spaces, inside the order's whole address ("文三路100号" matches "文三路 100 号").
    value = models.CharField(pgettext_lazy("blocked contact", "value"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("blocked contact")
        verbose_name_plural = _("blocked contacts")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="blocked_contact_once"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"
