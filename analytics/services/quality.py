"""The data-quality job: a day's facts against the shop's own books (orders, payments,
refunds). A drift (events lost while Redis was down, a bug in the collection, an order
written past the services) is recorded and logged for a person; nothing is "fixed"."""

import datetime
import logging
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.models import Order, Payment, Refund

from ..models import DailyKpi, QualityCheck
from .facts import day_bounds

logger = logging.getLogger("analytics.quality")

CHECKED = ("orders", "gmv", "paid_revenue", "refund_amount")


def _by_day(queryset, field: str, **aggregates) -> dict:
    tz = timezone.get_default_timezone()
    rows = (
        queryset.annotate(day=TruncDate(field, tzinfo=tz))
        .values("day")
        .annotate(**aggregates)
        .order_by()
    )
    return {row.pop("day"): row for row in rows}


def check_data_quality(*, since: datetime.date, until: datetime.date) -> list[QualityCheck]:
    """Compare ``orders``, ``gmv``, ``paid_revenue`` and ``refund_amount`` of every built
    day from ``since`` to ``until`` with the orders, payments and refunds tables (four
    queries whatever the range), store one ``QualityCheck`` per day and metric (replacing
    the last one), and return those with a drift."""
    start, end = day_bounds(since)[0], day_bounds(until)[1]
    books = {}
    for day, row in _by_day(
        Order.objects.filter(placed_at__gte=start, placed_at__lt=end),
        "placed_at",
        orders=Count("pk"),
        gmv=Sum("total"),
    ).items():
        books.setdefault(day, {}).update(row)
    for day, row in _by_day(
        Payment.objects.filter(
            status=Payment.Status.SUCCEEDED, paid_at__gte=start, paid_at__lt=end
        ),
        "paid_at",
        paid_revenue=Sum("amount"),
    ).items():
        books.setdefault(day, {}).update(row)
    for day, row in _by_day(
        Refund.objects.filter(created_at__gte=start, created_at__lt=end),
        "created_at",
        refund_amount=Sum("amount"),
    ).items():
        books.setdefault(day, {}).update(row)
    now = timezone.now()
    checks = []
    for fact in DailyKpi.objects.filter(day__gte=since, day__lte=until).order_by("day"):
        for metric in CHECKED:
            checks.append(
                QualityCheck(
                    day=fact.day,
                    metric=metric,
                    fact_value=Decimal(getattr(fact, metric)),
                    source_value=Decimal(books.get(fact.day, {}).get(metric) or 0),
                    checked_at=now,
                )
            )
    QualityCheck.objects.bulk_create(
        checks,
        update_conflicts=True,
        unique_fields=["day", "metric"],
        update_fields=["fact_value", "source_value", "checked_at"],
    )
    drifts = [check for check in checks if check.drift]
    for check in drifts:
        logger.warning(
            "analytics facts drift from the books",
            extra={
                "day": check.day.isoformat(),
                "metric": check.metric,
                "facts": str(check.fact_value),
                "books": str(check.source_value),
            },
        )
    return drifts
