"""Cycle counting: every stock row is counted again and again, the goods that sell for
the most money most often.

- ``classify_abc`` (nightly): each active SKU's sales value over the last
  ``MALL_ABC_WINDOW_DAYS`` (units sold, from the ledger, × its current price) ranks it:
  the SKUs making the first ``MALL_ABC_SHARES`` A share of all sales value are class A
  (80 % by default), up to the B share class B (95 %), the rest C (goods that did not
  sell among them).
- A stock row is due for a count ``MALL_CYCLE_COUNT_DAYS`` after its last approved count
  (A monthly, B quarterly, C yearly by default); one never counted is due at once.
- ``schedule_cycle_counts`` (daily) opens one count per warehouse with that warehouse's
  steady daily share, Σ 1 / interval over its stock rows (so each warehouse counts about
  the same number of rows every day, not everything at the start of a year), the most
  overdue rows first. A warehouse with a count in progress is skipped that day.
- ``overdue_counts`` (a selector) lists the rows past their due date.
"""

import datetime
import math
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import SKU, Stock, Stocktake, StocktakeLine, Warehouse
from ..selectors.prices import _sku_price
from ..selectors.stock import units_sold
from .stocktake import open_cycle_count

MONEY = DecimalField(max_digits=18, decimal_places=2)
NEVER = datetime.date(2000, 1, 1)


def intervals() -> dict[str, int]:
    """Days between counts per ABC class, from ``MALL_CYCLE_COUNT_DAYS``."""
    return dict(settings.MALL_CYCLE_COUNT_DAYS)


@transaction.atomic
def classify_abc(*, now=None) -> dict[str, int]:
    """Rank every active SKU by sales value and set its ABC class (see the module).
    Returns how many SKUs are in each class. Safe to run twice: it recomputes."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.MALL_ABC_WINDOW_DAYS)
    rows = list(
        SKU.objects.filter(is_active=True)
        .annotate(sold=units_sold(since=since), price=_sku_price(now))
        .annotate(
            value=ExpressionWrapper(
                Case(When(sold__gt=0, then=F("sold")), default=Value(0)) * Coalesce("price", 0),
                output_field=MONEY,
            )
        )
        .order_by("-value", "pk")
        .values_list("pk", "value", "abc_class", "sales_value")
    )
    total = sum((value or Decimal(0) for _pk, value, _cls, _sv in rows), Decimal(0))
    a_share, b_share = (Decimal(share) / 100 for share in settings.MALL_ABC_SHARES)
    counts, changed, running = {"A": 0, "B": 0, "C": 0}, [], Decimal(0)
    for pk, value, old_class, old_value in rows:
        value = value or Decimal(0)
        # A SKU belongs to the class its first unit of value falls in.
        start = running / total if total else Decimal(1)
        running += value
        if value <= 0:
            cls = "C"
        elif start < a_share:
            cls = "A"
        elif start < b_share:
            cls = "B"
        else:
            cls = "C"
        counts[cls] += 1
        if (cls, value) != (old_class, old_value):
            changed.append(SKU(pk=pk, abc_class=cls, sales_value=value))
    SKU.objects.bulk_update(changed, ["abc_class", "sales_value"], batch_size=500)
    return counts


def stock_with_due_dates(warehouse=None):
    """Stock rows with ``last_counted`` (the day of their last approved count, None if
    never), ``interval`` (days, by their SKU's class) and ``due_on``."""
    days = intervals()
    last = (
        StocktakeLine.objects.filter(
            stock=OuterRef("pk"),
            stocktake__status=Stocktake.Status.APPROVED,
            counted_at__isnull=False,
        )
        .order_by("-counted_at")
        .annotate(day=TruncDate("counted_at"))
        .values("day")[:1]
    )
    rows = Stock.objects.filter(warehouse__is_active=True)
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    interval = Case(
        *(When(sku__abc_class=cls, then=Value(n)) for cls, n in days.items()),
        default=Value(days["C"]),
        output_field=IntegerField(),
    )
    return rows.annotate(
        last_counted=Subquery(last, output_field=DateField()), interval=interval
    ).annotate(
        due_on=ExpressionWrapper(
            Coalesce(F("last_counted"), Value(NEVER)) + F("interval"), output_field=DateField()
        )
    )


def overdue_counts(*, today=None, warehouse=None):
    """Stock rows whose count is overdue (due before ``today``), most overdue first, with
    their SKU and warehouse: the list operators see."""
    today = today or timezone.localdate()
    return (
        stock_with_due_dates(warehouse)
        .filter(due_on__lt=today)
        .select_related("sku__product", "warehouse")
        .order_by("due_on", "warehouse__code", "pk")
    )


def daily_share(warehouse) -> int:
    """How many stock rows ``warehouse`` counts a day to keep pace: ⌈Σ 1 / interval⌉."""
    days = intervals()
    per_class = dict(
        Stock.objects.filter(warehouse=warehouse)
        .values_list("sku__abc_class")
        .annotate(rows=Count("pk"))
        .values_list("sku__abc_class", "rows")
    )
    share = sum(rows / days.get(cls, days["C"]) for cls, rows in per_class.items())
    return math.ceil(share) if share else 0


def schedule_cycle_counts(*, today=None) -> dict[str, int]:
    """The daily job: in every active warehouse without a count in progress, open a
    cycle count of its daily share of stock rows, the most overdue first
    (``stocktake.open_cycle_count``). Returns ``{"opened", "rows", "busy"}``. Safe to
    run twice a day: the second run finds the first's count in progress."""
    today = today or timezone.localdate()
    opened = rows_counted = busy = 0
    for warehouse in Warehouse.objects.filter(is_active=True).order_by("pk"):
        if Stocktake.objects.filter(warehouse=warehouse, status__in=Stocktake.ACTIVE).exists():
            busy += 1
            continue
        share = daily_share(warehouse)
        if not share:
            continue
        due = list(
            stock_with_due_dates(warehouse)
            .order_by("due_on", "pk")
            .values_list("pk", flat=True)[:share]
        )
        if not due:
            continue
        stocktake = open_cycle_count(
            warehouse=warehouse,
            stock_ids=due,
            note=_("cycle count of %(day)s") % {"day": today.isoformat()},
        )
        if stocktake is None:
            busy += 1
            continue
        opened += 1
        rows_counted += len(due)
    return {"opened": opened, "rows": rows_counted, "busy": busy}
