"""Daily facts: what the dashboard reads, rebuilt by SQL from events
(``analytics.services.facts``). A day's rows are replaced whole, so building a day twice
gives the same rows."""

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2, "default": 0}


class DailyKpi(models.Model):
    """The shop's figures of one day (shop time). The metric catalogue
    (``analytics.metrics``) says what each column means and how rates are derived."""

    day = models.DateField(_("day"), primary_key=True)
    visitors = models.IntegerField(_("visitors"), default=0)
    sessions = models.IntegerField(_("sessions"), default=0)
    page_views = models.IntegerField(_("page views"), default=0)
    product_views = models.IntegerField(_("product views"), default=0)
    searches = models.IntegerField(_("searches"), default=0)
    cart_adds = models.IntegerField(_("cart additions"), default=0)
    checkouts = models.IntegerField(_("checkouts started"), default=0)
    converted_sessions = models.IntegerField(_("sessions with an order"), default=0)
    orders = models.IntegerField(_("orders"), default=0)
    units = models.IntegerField(_("units"), default=0)
    gmv = models.DecimalField(_("GMV"), **MONEY)
    paid_orders = models.IntegerField(_("paid orders"), default=0)
    paid_revenue = models.DecimalField(_("paid revenue"), **MONEY)
    refunds = models.IntegerField(_("refunds"), default=0)
    refund_amount = models.DecimalField(_("refunded"), **MONEY)
    customers = models.IntegerField(_("ordering customers"), default=0)
    new_customers = models.IntegerField(_("new customers"), default=0)
    returning_customers = models.IntegerField(_("returning customers"), default=0)
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("daily KPI")
        verbose_name_plural = _("daily KPIs")
        permissions = [("view_dashboard", _("Can view the KPI dashboard"))]

    def __str__(self):
        return str(self.day)


class DailyProductFact(models.Model):
    """One product's funnel on one day: views, cart additions, orders, units, GMV."""

    day = models.DateField(_("day"))
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    category_id = models.BigIntegerField(null=True)
    views = models.IntegerField(default=0)
    cart_adds = models.IntegerField(default=0)
    orders = models.IntegerField(default=0)
    units = models.IntegerField(default=0)
    gmv = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "product"], name="analytics_product_fact_day")
        ]
        indexes = [models.Index(fields=["day", "category_id"])]

    def __str__(self):
        return f"{self.day} {self.product_id}"


class DailyChannelFact(models.Model):
    """One channel (UTM source, else the referring site, else "direct") on one day."""

    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=200)
    visitors = models.IntegerField(default=0)
    sessions = models.IntegerField(default=0)
    orders = models.IntegerField(default=0)
    gmv = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "channel"], name="analytics_channel_fact_day")
        ]

    def __str__(self):
        return f"{self.day} {self.channel}"


class QualityCheck(models.Model):
    """One comparison of a day's facts with the orders and payments tables, as the
    data-quality job found it. A drift is reported here, never "fixed" silently."""

    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=40)
    fact_value = models.DecimalField(_("in the facts"), max_digits=14, decimal_places=2)
    source_value = models.DecimalField(_("in the orders"), max_digits=14, decimal_places=2)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("data-quality check")
        verbose_name_plural = _("data-quality checks")
        constraints = [
            models.UniqueConstraint(fields=["day", "metric"], name="analytics_quality_day_metric")
        ]

    def __str__(self):
        return f"{self.day} {self.metric}"

    @property
    def drift(self):
        return self.fact_value - self.source_value
