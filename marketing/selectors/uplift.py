"""Uplift of a campaign against a baseline: the shop's paid orders and GMV on each day of
the campaign against the average of the same weekday in the weeks before it started.

Days are whole days in the shop's time zone, from the campaign's first day to its last
(or today while it runs). The baseline is the ``BASELINE_WEEKS`` weeks before the first
day; a day without sales counts as none in the average. One query whatever the number of
orders and days (at most ``MAX_DAYS`` days are shown).
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from mall.money import ZERO, to_money
from orders.models import SOLD, Order

from ..models import Campaign

BASELINE_WEEKS = 4
MAX_DAYS = 92
DAY = datetime.timedelta(days=1)


def _share(actual, expected) -> Decimal | None:
    """How much more (or less) than expected, in per cent; none without a baseline."""
    if not expected:
        return None
    return to_money((Decimal(actual) - Decimal(expected)) / Decimal(expected) * 100)


def _midnight(day: datetime.date, tz) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def uplift(campaign: Campaign, *, weeks: int = BASELINE_WEEKS) -> dict:
    """Per campaign day: orders and GMV, the baseline's average for that weekday and the
    uplift in per cent; and the same for the whole campaign. One query."""
    tz = timezone.get_current_timezone()
    first = timezone.localtime(campaign.starts_at, tz).date()
    last = timezone.localtime(min(campaign.ends_at, timezone.now()), tz).date()
    last = min(last, first + (MAX_DAYS - 1) * DAY)
    baseline_first = first - weeks * 7 * DAY
    rows = (
        Order.objects.filter(
            status__in=SOLD,
            placed_at__gte=_midnight(baseline_first, tz),
            placed_at__lt=_midnight(last + DAY, tz),
        )
        .annotate(day=TruncDate("placed_at", tzinfo=tz))
        .values("day")
        .annotate(orders=Count("pk"), gmv=Sum("total"))
        .order_by()
    )
    sales = {row["day"]: (row["orders"], row["gmv"] or ZERO) for row in rows}
    days = []
    totals = {"orders": 0, "gmv": ZERO, "baseline_orders": Decimal(0), "baseline_gmv": ZERO}
    day = first
    while day <= last and first <= last:
        orders, gmv = sales.get(day, (0, ZERO))
        before = [sales.get(day - week * 7 * DAY, (0, ZERO)) for week in range(1, weeks + 1)]
        base_orders = Decimal(sum(o for o, _ in before)) / weeks
        base_gmv = to_money(sum((g for _, g in before), ZERO) / weeks)
        days.append(
            {
                "day": day,
                "orders": orders,
                "gmv": to_money(gmv),
                "baseline_orders": base_orders.quantize(Decimal("0.01")),
                "baseline_gmv": base_gmv,
                "orders_uplift": _share(orders, base_orders),
                "gmv_uplift": _share(gmv, base_gmv),
            }
        )
        totals["orders"] += orders
        totals["gmv"] += gmv
        totals["baseline_orders"] += base_orders
        totals["baseline_gmv"] += base_gmv
        day += DAY
    return {
        "weeks": weeks,
        "baseline_from": baseline_first,
        "baseline_to": first - DAY,
        "days": days,
        "orders": totals["orders"],
        "gmv": to_money(totals["gmv"]),
        "baseline_orders": totals["baseline_orders"].quantize(Decimal("0.01")),
        "baseline_gmv": to_money(totals["baseline_gmv"]),
        "orders_uplift": _share(totals["orders"], totals["baseline_orders"]),
        "gmv_uplift": _share(totals["gmv"], totals["baseline_gmv"]),
    }
