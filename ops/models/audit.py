"""The audit trail: one append-only record of who did what.

- ``AuditEvent``: what the application says happened (``mall.audit.record`` and the
  signals ops listens to): admin adds, changes (with the fields' old and new values) and
  deletes, logins, failed logins and logouts, role changes, exports and downloads, views
  of unmasked contact details, service actions on money, stock and prices.
- The ``*Event`` models (django-pghistory): a database trigger writes a row for every
  insert, update and delete of prices, price changes, stock, payments, refunds and the
  staff flags of accounts, raw SQL included, with the request's user and URL as context.

Both are append-only in the database (a trigger refuses UPDATE and DELETE), so neither
the admin nor any code path can edit or remove an entry.
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import PriceChange, SkuPrice, Stock
from customers.models import User
from orders.models import Payment, Refund

APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class AuditEvent(models.Model):
    at = models.DateTimeField(pgettext_lazy("audit", "at"), default=timezone.now, db_index=True)
    # No database constraint: a closed account's entries stay, naming who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("person (as then named)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("kind of object"), max_length=100, blank=True, db_index=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    address = models.CharField(_("network address"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"], name="audit_target")]
        triggers = [APPEND_ONLY]
        permissions = [("view_row_history", "Can read the row-level history of money and stock")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action}"


def _event_model(tracked, name: str, **options):
    return pghistory.create_event_model(
        tracked,
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        model_name=name,
        app_label="ops",
        abstract=False,
        append_only=True,
        obj_field=pghistory.ObjForeignKey(db_constraint=False, related_name="+"),
        **options,
    )


SkuPriceEvent = _event_model(SkuPrice, "SkuPriceEvent")
PriceChangeEvent = _event_model(PriceChange, "PriceChangeEvent")
StockEvent = _event_model(Stock, "StockEvent")
PaymentEvent = _event_model(Payment, "PaymentEvent")
RefundEvent = _event_model(Refund, "RefundEvent")
# Accounts: only what says who is staff; personal details stay out of the trail.
UserEvent = _event_model(
    User, "UserEvent", fields=["is_staff", "is_superuser", "is_active", "last_login"]
)
