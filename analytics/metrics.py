"""The metric catalogue: one place that says what each figure means, how it is computed,
at what grain and from what. The dashboard shows the definition beside every figure, so
that everyone means the same thing by 转化率.

``value(totals)`` computes a metric from summed ``DailyKpi`` columns (a day or a whole
period alike: rates are ratios of sums, never averages of daily rates).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from mall.money import to_money

COUNT, MONEY, PERCENT = "count", "money", "percent"
DAILY = _("day (shop time), summed over the period")
EVENTS = _("collected events (analytics_event)")
ORDERS_EVENTS = _("order events (analytics_event), checked daily against the orders table")
PAYMENT_EVENTS = _("payment events (analytics_event), checked daily against the payments table")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    formula: str
    kind: str
    source: str
    grain: str = DAILY
    # Column sums this metric is made of: (numerator, denominator) for rates.
    parts: tuple[str, ...] = ()
    better: int = 1  # +1 when more is better, -1 when less is

    def value(self, totals: dict):
        if self.kind == PERCENT or len(self.parts) == 2:
            top, bottom = (Decimal(totals.get(p) or 0) for p in self.parts)
            if not bottom:
                return None
            ratio = top / bottom * (100 if self.kind == PERCENT else 1)
            if self.kind == PERCENT:
                return ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            return to_money(ratio)
        if self.key == "net_revenue":
            return to_money(
                Decimal(totals.get("paid_revenue") or 0) - Decimal(totals.get("refund_amount") or 0)
            )
        total = totals.get(self.key) or 0
        return to_money(total) if self.kind == MONEY else int(total)


METRICS = [
    Metric(
        "visitors", _("Visitors"),
        _("Browsers whose pages ran the shop's beacon (people, not robots), counted once a day."),
        _("count of distinct visitor ids with a beacon event that day"), COUNT, EVENTS,
    ),
    Metric(
        "sessions", _("Sessions"),
        _("Visits: a session ends after 30 minutes without a request or a new campaign."),
        _("count of distinct session ids of counted visitors"), COUNT, EVENTS,
    ),
    Metric(
        "page_views", _("Page views"), _("Pages shown with the beacon running."),
        _("count of page_view beacon events"), COUNT, EVENTS,
    ),
    Metric(
        "conversion_rate", _("Conversion rate"),
        _("Share of sessions that placed at least one order."),
        _("sessions with an order / sessions × 100"), PERCENT, EVENTS,
        parts=("converted_sessions", "sessions"),
    ),
    Metric(
        "orders", _("Orders"), _("Orders placed (paid or not, cancelled later or not)."),
        _("count of order_placed events"), COUNT, ORDERS_EVENTS,
    ),
    Metric(
        "units", _("Units"), _("Units in the orders placed."),
        _("sum of the orders' quantities"), COUNT, ORDERS_EVENTS,
    ),
    Metric(
        "gmv", _("GMV"),
        _("Gross merchandise value: what shoppers were asked to pay for the orders placed, "
          "shipping included, discounts taken off, before cancellations and refunds."),
        _("sum of order totals of order_placed events"), MONEY, ORDERS_EVENTS,
    ),
    Metric(
        "paid_revenue", _("Paid revenue"), _("Money received for orders that day."),
        _("sum of order_paid amounts"), MONEY, PAYMENT_EVENTS,
    ),
    Metric(
        "refund_amount", _("Refunds"), _("Money given back that day (refunds issued)."),
        _("sum of order_refunded amounts"), MONEY, PAYMENT_EVENTS, better=-1,
    ),
    Metric(
        "net_revenue", _("Net revenue"), _("Money received less money given back."),
        _("paid revenue − refunds"), MONEY, PAYMENT_EVENTS,
    ),
    Metric(
        "average_order_value", _("Average order value"), _("GMV per order placed."),
        _("GMV / orders"), MONEY, ORDERS_EVENTS, parts=("gmv", "orders"),
    ),
    Metric(
        "new_customers", _("New customers"),
        _("Shoppers whose first order ever was placed that day."),
        _("customers ordering that day whose first order in the orders table is that day"),
        COUNT, ORDERS_EVENTS,
    ),
    Metric(
        "repeat_purchase_rate", _("Repeat-purchase rate"),
        _("Share of ordering customers who had ordered before."),
        _("returning customers / ordering customers × 100"), PERCENT, ORDERS_EVENTS,
        parts=("returning_customers", "customers"),
    ),
]  # fmt: skip
BY_KEY = {metric.key: metric for metric in METRICS}
# What targets can be set for: the metrics that add up over days.
TARGETABLE = [m for m in METRICS if m.kind != PERCENT and len(m.parts) < 2]
# What a category's or a channel's target can be set for: the figures its daily facts
# carry (DailyProductFact per category, DailyChannelFact per channel), same meaning as the
# shop-wide metric of the same key.
CATEGORY_TARGETABLE = ("gmv", "units")
CHANNEL_TARGETABLE = ("gmv", "orders", "sessions", "visitors")
