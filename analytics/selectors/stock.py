"""Stock reports, read from the stock rows, the ledger and the receipts: stock value (by
warehouse, by category), turnover and days of supply, slow movers. Every figure is
computed by PostgreSQL with the building blocks of ``catalog.selectors.stock`` (unit cost,
units sold; their definitions are written there), so each report runs a fixed number of
queries whatever the number of goods."""

import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, Round
from django.utils import timezone

from catalog.models import (
    SKU,
    Category,
    Stock,
    StockMovement,
    Warehouse,
)
from catalog.selectors.stock import (
    INTEGER,
    MONEY,
    NUMBER,
    movements_in,
    ratio,
    stocks_in,
    sum_of,
    totals_of,
    unit_cost,
    units_sold,
)
from catalog.services.admission import lineage_in

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
        output_field=INTEGER,
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
    stocks = stocks_in(warehouse)
    return (
        SKU.objects.filter(Exists(stocks))
        .select_related("product")
        .annotate(
            unit_cost=unit_cost(),
            units_sold=units_sold(since=since, warehouse=warehouse),
            on_hand=sum_of(stocks, F("on_hand")),
            net_change=sum_of(movements_in(warehouse).filter(at__gte=since), F("quantity")),
            available=sum_of(stocks.sellable(), F("on_hand") - F("reserved")),
        )
        .annotate(
            on_hand_start=F("on_hand") - F("net_change"),
            cogs=ExpressionWrapper(F("units_sold") * F("unit_cost"), output_field=MONEY),
            average_units=ratio(F("on_hand") * 2 - F("net_change"), 2),
        )
        .annotate(
            average_value=Round(
                ExpressionWrapper(F("average_units") * F("unit_cost"), output_field=NUMBER), 2
            ),
            days_of_supply=Case(
                When(
                    units_sold__gt=0,
                    then=Round(ratio(F("available") * period_days, F("units_sold")), 1),
                ),
                output_field=NUMBER,
            ),
        )
        .annotate(
            turnover=Round(ratio(F("cogs"), NullIf(F("average_value"), Value(0))), 2),
        )
        .order_by(F("cogs").desc(nulls_last=True), "code")
    )


def turnover_totals(rows: QuerySet, *, period_days: int) -> dict:
    """Totals of a ``turnover`` queryset in one query. ``turnover`` and ``average_value``
    count only SKUs with a cost (they have no value otherwise); ``skus_without_cost``
    says how many were left out."""
    costed = Q(unit_cost__isnull=False)
    totals = totals_of(
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
            ratio(Sum("cogs"), NullIf(Sum("average_value", filter=costed), Value(0))), 2
        ),
        days_of_supply=Round(
            ratio(Sum("available") * period_days, NullIf(Sum("units_sold"), Value(0))), 1
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
    stocks = stocks_in(warehouse)
    sales = movements_in(warehouse).filter(kind=StockMovement.Kind.SALE).order_by("-at")
    return (
        SKU.objects.select_related("product")
        .annotate(
            on_hand=sum_of(stocks, F("on_hand")),
            unit_cost=unit_cost(),
            last_sale=Subquery(sales.values("at")[:1]),
        )
        .filter(on_hand__gt=0)
        .filter(Q(last_sale__isnull=True) | Q(last_sale__lt=now - datetime.timedelta(days=days)))
        .annotate(stock_value=ExpressionWrapper(F("on_hand") * F("unit_cost"), output_field=MONEY))
        .order_by(F("stock_value").desc(nulls_last=True), "-on_hand", "code")
    )


def slow_mover_totals(rows: QuerySet) -> dict:
    return totals_of(
        rows,
        skus=Count("pk"),
        units=Coalesce(Sum("on_hand"), 0),
        value=Coalesce(Sum("stock_value"), Value(Decimal("0.00")), output_field=MONEY),
        skus_without_cost=Count("pk", filter=Q(unit_cost__isnull=True)),
    )
