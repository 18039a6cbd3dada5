"""Stock figures and replenishment, read from the stock rows, the ledger and the receipts.

Every figure is computed by PostgreSQL (aggregates and correlated subqueries), so each
report runs a fixed number of queries whatever the number of goods. The definitions:

- **unit cost** of a SKU: the ``unit_cost`` of its latest purchase receipt line (highest
  id; the ``receipt_line_latest_cost_idx`` index serves it). A SKU never received on a
  receipt has *no cost*: reports count it apart ("without cost") and never value it at 0.
- **units sold** in a window: SALE units minus RETURN units booked in it, i.e. minus the
  sum of the ``quantity`` of SALE (negative) and RETURN (positive) movements.
- **stock value**: ``on_hand`` (reserved units included: they are ours until shipped)
  times the unit cost; stock in inactive warehouses and frozen stock count too.
"""

import datetime

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Round
from django.utils import timezone

from ..models import SKU, Holiday, Product, PurchaseReceiptLine, Stock, StockMovement

# Replenishment looks at this many days of sales for the average daily demand.
SALES_WINDOW_DAYS = 28
SOLD_KINDS = (StockMovement.Kind.SALE, StockMovement.Kind.RETURN)

MONEY = DecimalField(max_digits=18, decimal_places=2)
# Intermediate numbers (average units, ratios) before rounding for display.
NUMBER = DecimalField(max_digits=24, decimal_places=6)
INTEGER = IntegerField()


# --- Building blocks ------------------------------------------------------------------------


def sum_of(queryset: QuerySet, expression) -> Coalesce:
    """SUM(``expression``) over ``queryset`` as a scalar subquery; 0 when no rows."""
    total = queryset.order_by().annotate(_total=Func(expression, function="SUM")).values("_total")
    return Coalesce(Subquery(total[:1], output_field=INTEGER), Value(0), output_field=INTEGER)


def unit_cost(sku_ref: str = "pk") -> Subquery:
    """The latest receipt line's unit cost of the SKU at ``sku_ref``; NULL when none."""
    latest = PurchaseReceiptLine.objects.filter(sku=OuterRef(sku_ref)).order_by("-id")
    return Subquery(latest.values("unit_cost")[:1], output_field=MONEY)


def stocks_in(warehouse=None) -> QuerySet:
    stocks = Stock.objects.filter(sku=OuterRef("pk"))
    return stocks.filter(warehouse=warehouse) if warehouse else stocks


def movements_in(warehouse=None) -> QuerySet:
    movements = StockMovement.objects.filter(stock__sku=OuterRef("pk"))
    return movements.filter(stock__warehouse=warehouse) if warehouse else movements


def units_sold(*, since, warehouse=None) -> Func:
    """Units of the SKU sold since ``since``: SALE units minus RETURN units (see above)."""
    sold = movements_in(warehouse).filter(kind__in=SOLD_KINDS, at__gte=since)
    return -sum_of(sold, F("quantity"))


def ratio(numerator, denominator) -> ExpressionWrapper:
    """numerator / denominator in numeric (never integer) division."""
    return ExpressionWrapper(
        Cast(numerator, output_field=NUMBER) / denominator, output_field=NUMBER
    )


def totals_of(rows: QuerySet, **aggregates) -> dict:
    """``rows.aggregate(**aggregates)``; the totals are computed under other names than
    the annotations they add up, so that one total may use another's annotation."""
    totals = rows.order_by().aggregate(**{f"total_{k}": v for k, v in aggregates.items()})
    return {name.removeprefix("total_"): value for name, value in totals.items()}


# --- Replenishment --------------------------------------------------------------------------


def replenishment_list(*, low_only: bool = False, supplier=None, now=None) -> QuerySet:
    """Active SKUs of approved or listed goods with what to reorder, most urgent first.

    Per SKU, over the whole network (the sellable stock of active warehouses, the sales of
    every warehouse):

    - ``available`` = Σ (on_hand − reserved) of sellable stock (0 without stock);
    - ``sold`` = units sold in the last ``SALES_WINDOW_DAYS`` (28) days, 0 if negative,
      and ``avg_daily`` = sold / 28 (rounded to 2 places for display only);
    - ``reorder_point`` = ⌈avg_daily × supplier.lead_time_days + sku.safety_stock⌉
      = ⌈sold × lead_time / 28⌉ + safety_stock (safety stock is whole);
    - ``low`` when available ≤ reorder_point;
    - ``suggested`` = max(0, ⌈reorder_point + avg_daily × MALL_REPLENISH_COVER_DAYS⌉
      − available) = max(0, reorder_point + ⌈sold × cover / 28⌉ − available);
    - ``days_of_supply`` = available / avg_daily, None when nothing was sold;
    - ``unit_cost``: the last cost paid (None: never received), to pre-fill a receipt.

    Every step is exact integer arithmetic: ⌈a / 28⌉ is computed as (a + 27) / 28 in
    integer division, which is exact for a ≥ 0. Sorted by days of supply (the SKUs
    without sales last), then by how far below the reorder point they are.
    """
    now = now or timezone.now()
    window = SALES_WINDOW_DAYS
    cover = settings.MALL_REPLENISH_COVER_DAYS
    skus = SKU.objects.filter(
        is_active=True, product__status__in=[Product.Status.LISTED, Product.Status.APPROVED]
    )
    if supplier is not None:
        skus = skus.filter(product__supplier=supplier)
    since = now - datetime.timedelta(days=window)
    return (
        skus.select_related("product__supplier")
        .annotate(
            available=sum_of(
                Stock.objects.sellable().filter(sku=OuterRef("pk")), F("on_hand") - F("reserved")
            ),
            sold=Greatest(units_sold(since=since), Value(0), output_field=INTEGER),
            lead_time=F("product__supplier__lead_time_days"),
            unit_cost=unit_cost(),
        )
        .annotate(
            reorder_point=ExpressionWrapper(
                (F("sold") * F("lead_time") + (window - 1)) / window + F("safety_stock"),
                output_field=INTEGER,
            ),
            cover=ExpressionWrapper(
                (F("sold") * cover + (window - 1)) / window, output_field=INTEGER
            ),
            avg_daily=Round(ratio(F("sold"), window), 2),
            days_of_supply=Case(
                When(sold__gt=0, then=Round(ratio(F("available") * window, F("sold")), 1)),
                output_field=NUMBER,
            ),
        )
        .annotate(
            low=ExpressionWrapper(
                Q(available__lte=F("reorder_point")), output_field=BooleanField()
            ),
            suggested=Greatest(
                F("reorder_point") + F("cover") - F("available"), Value(0), output_field=INTEGER
            ),
            shortfall=F("available") - F("reorder_point"),
        )
        .filter(**({"available__lte": F("reorder_point")} if low_only else {}))
        .order_by(F("days_of_supply").asc(nulls_last=True), "shortfall", "code")
    )


def replenishment_totals(rows: QuerySet) -> dict:
    return totals_of(
        rows,
        skus=Count("pk"),
        low=Count("pk", filter=Q(available__lte=F("reorder_point"))),
        suggested=Coalesce(Sum("suggested"), 0),
    )


def declared_holidays(since: datetime.date, until: datetime.date) -> set[datetime.date]:
    """The declared holidays from ``since`` to ``until`` (inclusive), for deadlines that
    skip them (a parcel's ship-by time)."""
    return set(Holiday.objects.filter(day__gte=since, day__lte=until).values_list("day", flat=True))
