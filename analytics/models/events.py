"""Collected events and the campaign each order came from.

``analytics_event`` is a PostgreSQL table partitioned by month (``occurred_at``), made by
a RunSQL migration, with a partition per month created by the ingestion job as needed and
dropped by the retention job; Django only reads it (``managed = False``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One thing a visitor did or the shop saw happen. Written only by
    ``analytics.services.ingestion`` (multi-row INSERT, idempotent by ``event_id``)."""

    class Source(models.TextChoices):
        SERVER = "server", _("server")
        BEACON = "beacon", _("browser beacon")

    # The table's key is (event_id, occurred_at): a partitioned table's unique keys must
    # hold the partition key. A retried event keeps both, so it is stored once.
    event_id = models.UUIDField(primary_key=True)
    occurred_at = models.DateTimeField()
    name = models.CharField(max_length=40)
    source = models.CharField(max_length=10, choices=Source.choices)
    visitor_id = models.CharField(max_length=32, blank=True)
    session_id = models.CharField(max_length=32, blank=True)
    user_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    sku_id = models.BigIntegerField(null=True)
    order_id = models.BigIntegerField(null=True)
    quantity = models.IntegerField(null=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    search_term = models.CharField(max_length=100, blank=True)
    result_count = models.IntegerField(null=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    referrer_host = models.CharField(max_length=200, blank=True)
    properties = models.JSONField(default=dict)

    class Meta:
        managed = False
        db_table = "analytics_event"
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return f"{self.name} {self.event_id}"


class OrderAttribution(models.Model):
    """Where the session that placed an order came from (UTM parameters, referring
    site), kept beside the order rather than on it; marketing's attribution reads it."""

    order = models.OneToOneField(
        "orders.Order",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="attribution",
        verbose_name=_("order"),
    )
    visitor_id = models.CharField(_("visitor"), max_length=32, blank=True)
    session_id = models.CharField(_("session"), max_length=32, blank=True)
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    referrer_host = models.CharField(_("referring site"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order attribution")
        verbose_name_plural = _("order attributions")

    def __str__(self):
        return f"{self.order_id}: {self.channel}"

    @property
    def channel(self) -> str:
        return self.utm_source or self.referrer_host or "direct"
