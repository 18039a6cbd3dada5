"""Stock reports and replenishment, read from the stock rows, the ledger and the receipts.

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
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
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
from django.db.models.functions import Cast, Coalesce, Greatest, NullIf, Round
from django.utils import timezone

from ..models import SKU, Category, Product, PurchaseReceiptLine, Stock, StockMovement, Warehouse
from ..services.admission import lineage_in

# Replenishment looks at this many days of sales for the average daily demand.
SALES_WINDOW_DAYS = 28
SOLD_KINDS = (StockMovement.Kind.SALE, StockMovement.Kind.RETURN)

MONEY = DecimalField(max_digits=18, decimal_places=2)
# Intermediate numbers (average units, ratios) before rounding for display.
NUMBER = DecimalField(max_digits=24, decimal_places=6)
_INT = IntegerField()


# --- Building blocks ------------------------------------------------------------------------


def _sum(queryset: QuerySet, expression) -> Coalesce:
    """SUM(``expression``) over ``queryset`` as a scalar subquery; 0 when no rows."""
    total = queryset.order_by().annotate(_total=Func(expression, function="SUM")).values("_total")
    return Coalesce(Subquery(total[:1], output_field=_INT), Value(0), output_field=_INT)


def unit_cost(sku_ref: str = "pk") -> Subquery:
    """The latest receipt line's unit cost of the SKU at ``sku_ref``; NULL when none."""
    latest = PurchaseReceiptLine.objects.filter(sku=OuterRef(sku_ref)).order_by("-id")
    return Subquery(latest.values("unit_cost")[:1], output_field=MONEY)


def _stocks(warehouse=None) -> QuerySet:
    stocks = Stock.objects.filter(sku=OuterRef("pk"))
    return stocks.filter(warehouse=warehouse) if warehouse else stocks


def _movements(warehouse=None) -> QuerySet:
    movements = StockMovement.objects.filter(stock__sku=OuterRef("pk"))
    return movements.filter(stock__warehouse=warehouse) if warehouse else movements


def units_sold(*, since, warehouse=None) -> Func:
    """Units of the SKU sold since ``since``: SALE units minus RETURN units (see above)."""
    sold = _movements(warehouse).filter(kind__in=SOLD_KINDS, at__gte=since)
    return -_sum(sold, F("quantity"))


def _ratio(numerator, denominator) -> ExpressionWrapper:
    """numerator / denominator in numeric (never integer) division."""
    return ExpressionWrapper(
        Cast(numerator, output_field=NUMBER) / denominator, output_field=NUMBER
    )


def _totals(rows: QuerySet, **aggregates) -> dict:
    """``rows.aggregate(**aggregates)``; the totals are computed under other names than
    the annotations they add up, so that one total may use another's annotation."""
    totals = rows.order_by().aggregate(**{f"total_{k}": v for k, v in aggregates.items()})
    return {name.removeprefix("total_"): value for name, value in totals.items()}


# --- Stock value ----------------------------------------------------------------------------


def _valued_stock(warehouse=None) -> QuerySet:
    """Stock rows holding units, each with its SKU's unit cost."""
    stock = Stock.objects.filter(on_hand__gt=0).annotate(unit_cost=unit_cost("sku_id"))
    return stock.filter(warehouse=warehouse) if warehouse else stock


def _value_figures() -> dict:
    no_cost = Q(unit_cost__isnull=True)
    return {
        "units": Coalesce(Sum("on_hand"), 0),
        "value": Coalesce(
            Sum(F("on_hand") * F("unit_cost"), output_field=MONEY),
            Value(Decimal("0.00")),
            output_field=MONEY,
        ),
        "skus": Count("sku", distinct=True),
        "skus_without_cost": Count("sku", filter=no_cost, distinct=True),
        "units_without_cost": Coalesce(Sum("on_hand", filter=no_cost), 0),
    }


def stock_value_by_warehouse() -> tuple[list[dict], dict]:
    """(rows, totals) of the stock held per warehouse: ``units``, ``value`` at cost of the
    units that have a cost, ``skus``, and the ``skus_without_cost`` / ``units_without_cost``
    left out of the value. Rows carry ``warehouse`` (the Warehouse). Three queries."""
    figures = _value_figures()
    grouped = _valued_stock().values("warehouse_id").annotate(**figures).order_by()
    by_id = {row["warehouse_id"]: row for row in grouped}
    rows = []
    for warehouse in Warehouse.objects.filter(pk__in=by_id):
        rows.append({"warehouse": warehouse, **by_id[warehouse.pk]})
    return rows, _valued_stock().aggregate(**figures)


def stock_value_by_category(*, warehouse=None) -> tuple[list[dict], dict]:
    """(rows, totals) of the stock value per top-level category, each row followed by the
    rows of the categories the goods are directly filed in under it.

    Rows have ``category``, ``top`` (True for a top-level roll-up) and the figures of
    ``stock_value_by_warehouse``. The roll-up is computed in SQL too: the category tree
    (a few dozen rows, one query) tells which direct categories fall under which top, and
    a CASE expression groups by it. Four queries.
    """
    by_id = Category.objects.in_bulk()
    top_of = {pk: lineage_in(by_id, category)[-1].pk for pk, category in by_id.items()}
    tops: dict[int, list[int]] = {}
    for pk, top in top_of.items():
        tops.setdefault(top, []).append(pk)
    top_case = Case(
        *(
            When(sku__product__category_id__in=members, then=Value(top))
            for top, members in tops.items()
        ),
        output_field=_INT,
    )
    figures = _value_figures()
    stock = _valued_stock(warehouse)
    direct = list(
        stock.values(category_id=F("sku__product__category_id")).annotate(**figures).order_by()
    )
    rolled = {
        row["top_id"]: row
        for row in stock.annotate(top_id=top_case).values("top_id").annotate(**figures).order_by()
    }
    children: dict[int, list[dict]] = {}
    for row in direct:
        children.setdefault(top_of[row["category_id"]], []).append(row)
    rows = []
    for top_id, top_row in sorted(rolled.items(), key=lambda item: -item[1]["value"]):
        rows.append({**top_row, "category": by_id[top_id], "top": True})
        for row in sorted(children[top_id], key=lambda row: -row["value"]):
            rows.append({**row, "category": by_id[row["category_id"]], "top": False})
    return rows, stock.aggregate(**figures)


# --- Turnover and days of supply --------------------------------------------------------------


def turnover(*, period_days: int = 90, warehouse=None, now=None) -> QuerySet:
    """SKUs holding stock (in ``warehouse``, or anywhere) with their figures over the
    last ``period_days`` days, highest cost of goods sold first:

    - ``units_sold`` (see the module docstring) and ``unit_cost`` (None: no cost);
    - ``cogs`` = units_sold × unit_cost (None without a cost);
    - ``on_hand`` now and ``on_hand_start`` = on_hand − the net of every movement since
      the start of the period (the ledger sums to on_hand, so this is the stock then);
    - ``average_units`` = (on_hand_start + on_hand) / 2 — the average of the period's two
      ends, an approximation that ignores the swings in between;
    - ``average_value`` = average_units × unit_cost;
    - ``turnover`` = cogs / average_value over the period (not annualised), None when
      there is no cost or no average stock;
    - ``available`` = on_hand − reserved over sellable stock, and ``days_of_supply`` =
      available / (units_sold / period_days), None when nothing was sold.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(days=period_days)
    stocks = _stocks(warehouse)
    return (
        SKU.objects.filter(Exists(stocks))
        .select_related("product")
        .annotate(
            unit_cost=unit_cost(),
            units_sold=units_sold(since=since, warehouse=warehouse),
            on_hand=_sum(stocks, F("on_hand")),
            net_change=_sum(_movements(warehouse).filter(at__gte=since), F("quantity")),
            available=_sum(stocks.sellable(), F("on_hand") - F("reserved")),
        )
        .annotate(
            on_hand_start=F("on_hand") - F("net_change"),
            cogs=ExpressionWrapper(F("units_sold") * F("unit_cost"), output_field=MONEY),
            average_units=_ratio(F("on_hand") * 2 - F("net_change"), 2),
        )
        .annotate(
            average_value=Round(
                ExpressionWrapper(F("average_units") * F("unit_cost"), output_field=NUMBER), 2
            ),
            days_of_supply=Case(
                When(
                    units_sold__gt=0,
                    then=Round(_ratio(F("available") * period_days, F("units_sold")), 1),
                ),
                output_field=NUMBER,
            ),
        )
        .annotate(
            turnover=Round(_ratio(F("cogs"), NullIf(F("average_value"), Value(0))), 2),
        )
        .order_by(F("cogs").desc(nulls_last=True), "code")
    )


def turnover_totals(rows: QuerySet, *, period_days: int) -> dict:
    """Totals of a ``turnover`` queryset in one query. ``turnover`` and ``average_value``
    count only SKUs with a cost (they have no value otherwise); ``skus_without_cost``
    says how many were left out."""
    costed = Q(unit_cost__isnull=False)
    totals = _totals(
        rows,
        skus=Count("pk"),
        skus_without_cost=Count("pk", filter=Q(unit_cost__isnull=True)),
        units_sold=Coalesce(Sum("units_sold"), 0),
        cogs=Coalesce(Sum("cogs"), Value(Decimal("0.00")), output_field=MONEY),
        average_value=Coalesce(
            Sum("average_value", filter=costed), Value(Decimal("0.00")), output_field=MONEY
        ),
        available=Coalesce(Sum("available"), 0),
        turnover=Round(
            _ratio(Sum("cogs"), NullIf(Sum("average_value", filter=costed), Value(0))), 2
        ),
        days_of_supply=Round(
            _ratio(Sum("available") * period_days, NullIf(Sum("units_sold"), Value(0))), 1
        ),
    )
    if totals["units_sold"] <= 0:
        totals["days_of_supply"] = None  # returns outweighing sales are no demand
    return totals


# --- Slow movers ----------------------------------------------------------------------------


def slow_movers(*, days: int = 60, warehouse=None, now=None) -> QuerySet:
    """SKUs holding stock (in ``warehouse``, or anywhere) with no sale in the last
    ``days`` days, or never sold: ``on_hand``, ``unit_cost``, ``stock_value`` (None
    without a cost) and ``last_sale`` (None: never). Highest stock value first, the
    SKUs without a cost last."""
    now = now or timezone.now()
    stocks = _stocks(warehouse)
    sales = _movements(warehouse).filter(kind=StockMovement.Kind.SALE).order_by("-at")
    return (
        SKU.objects.select_related("product")
        .annotate(
            on_hand=_sum(stocks, F("on_hand")),
            unit_cost=unit_cost(),
            last_sale=Subquery(sales.values("at")[:1]),
        )
        .filter(on_hand__gt=0)
        .filter(Q(last_sale__isnull=True) | Q(last_sale__lt=now - datetime.timedelta(days=days)))
        .annotate(stock_value=ExpressionWrapper(F("on_hand") * F("unit_cost"), output_field=MONEY))
        .order_by(F("stock_value").desc(nulls_last=True), "-on_hand", "code")
    )


def slow_mover_totals(rows: QuerySet) -> dict:
    return _totals(
        rows,
        skus=Count("pk"),
        units=Coalesce(Sum("on_hand"), 0),
        value=Coalesce(Sum("stock_value"), Value(Decimal("0.00")), output_field=MONEY),
        skus_without_cost=Count("pk", filter=Q(unit_cost__isnull=True)),
    )


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
            available=_sum(
                Stock.objects.sellable().filter(sku=OuterRef("pk")), F("on_hand") - F("reserved")
            ),
            sold=Greatest(units_sold(since=since), Value(0), output_field=_INT),
            lead_time=F("product__supplier__lead_time_days"),
            unit_cost=unit_cost(),
        )
        .annotate(
            reorder_point=ExpressionWrapper(
                (F("sold") * F("lead_time") + (window - 1)) / window + F("safety_stock"),
                output_field=_INT,
            ),
            cover=ExpressionWrapper((F("sold") * cover + (window - 1)) / window, output_field=_INT),
            avg_daily=Round(_ratio(F("sold"), window), 2),
            days_of_supply=Case(
                When(sold__gt=0, then=Round(_ratio(F("available") * window, F("sold")), 1)),
                output_field=NUMBER,
            ),
        )
        .annotate(
            low=ExpressionWrapper(
                Q(available__lte=F("reorder_point")), output_field=BooleanField()
            ),
            suggested=Greatest(
                F("reorder_point") + F("cover") - F("available"), Value(0), output_field=_INT
            ),
            shortfall=F("available") - F("reorder_point"),
        )
        .filter(**({"available__lte": F("reorder_point")} if low_only else {}))
        .order_by(F("days_of_supply").asc(nulls_last=True), "shortfall", "code")
    )


def replenishment_totals(rows: QuerySet) -> dict:
    return _totals(
        rows,
        skus=Count("pk"),
        low=Count("pk", filter=Q(available__lte=F("reorder_point"))),
        suggested=Coalesce(Sum("suggested"), 0),
    )
