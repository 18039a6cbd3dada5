"""Read queries for stocktakes: lines with their variance and its value, totals, progress.

A unit's value is the cost of its SKU on the latest purchase receipt (highest receipt-line
id, which the (sku, -id) index serves). Values are computed in SQL — ``variance × cost``
is exact in ``numeric`` — so a count of thousands of lines costs the same few queries as
one of three. A value is ``None`` where no cost is known (never received through a
purchase receipt) or nothing is counted yet.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Upper

from ..models import PurchaseReceiptLine, Stocktake, StocktakeLine

_VALUE = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0.00")


def latest_unit_cost(sku_path: str) -> Subquery:
    """The unit cost on the latest receipt line of the SKU at ``sku_path`` (an OuterRef path)."""
    return Subquery(
        PurchaseReceiptLine.objects.filter(sku=OuterRef(sku_path))
        .order_by("-id")
        .values("unit_cost")[:1],
        output_field=_VALUE,
    )


def _with_values(lines: QuerySet[StocktakeLine]) -> QuerySet[StocktakeLine]:
    return lines.annotate(
        unit_cost=latest_unit_cost("stock__sku"),
        variance_units=ExpressionWrapper(F("counted") - F("expected"), output_field=IntegerField()),
        variance_value=ExpressionWrapper(F("variance_units") * F("unit_cost"), output_field=_VALUE),
    )


def stocktake_lines(stocktake: Stocktake) -> QuerySet[StocktakeLine]:
    """The lines of ``stocktake`` for the back office, in SKU-code order, with the SKU,
    product, warehouse and counter loaded and ``unit_cost``, ``variance_units`` and
    ``variance_value`` annotated (``None`` while uncounted). One query."""
    return (
        _with_values(StocktakeLine.objects.filter(stocktake=stocktake))
        .select_related("stock__sku__product", "counted_by")
        .order_by("stock__sku__code", "pk")
    )


def lines_to_count(stocktake: Stocktake, *, find: str = "") -> QuerySet[StocktakeLine]:
    """The lines of ``stocktake`` for counters: uncounted first, then by SKU code. ``find``
    narrows to the lines whose SKU code or barcode is exactly it (what a scanner types),
    ignoring case. No expected quantity, no values: counting is blind."""
    lines = StocktakeLine.objects.filter(stocktake=stocktake)
    find = find.strip()
    if find:
        code = find.upper()
        lines = lines.annotate(
            code_upper=Upper("stock__sku__code"), barcode_upper=Upper("stock__sku__barcode")
        ).filter(Q(code_upper=code) | Q(barcode_upper=code))
    uncounted_first = Case(
        When(counted__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        lines.select_related("stock__sku__product")
        .only(
            "pk",
            "stocktake_id",
            "counted",
            "counted_at",
            "stock__sku__code",
            "stock__sku__barcode",
            "stock__sku__spec",
            "stock__sku__product__name",
        )
        .order_by(uncounted_first, "stock__sku__code", "pk")
    )


@dataclass(frozen=True)
class StocktakeTotals:
    lines: int
    counted: int
    gain_units: int
    loss_units: int  # a positive number of units short
    gain_value: Decimal
    loss_value: Decimal  # a positive amount
    net_value: Decimal  # gain_value - loss_value
    unvalued: int  # counted lines with a variance but no known unit cost

    @property
    def uncounted(self) -> int:
        return self.lines - self.counted


def stocktake_totals(stocktake: Stocktake) -> StocktakeTotals:
    """Progress and the variance totals of ``stocktake``, in one query."""
    gain, loss = Q(variance_units__gt=0), Q(variance_units__lt=0)
    totals = _with_values(StocktakeLine.objects.filter(stocktake=stocktake)).aggregate(
        lines=Count("pk"),
        counted=Count("pk", filter=Q(counted__isnull=False)),
        gain_units=Coalesce(Sum("variance_units", filter=gain), 0),
        loss_units=Coalesce(-Sum("variance_units", filter=loss), 0),
        gain_value=Coalesce(Sum("variance_value", filter=gain), ZERO, output_field=_VALUE),
        loss_value=Coalesce(-Sum("variance_value", filter=loss), ZERO, output_field=_VALUE),
        unvalued=Count("pk", filter=~Q(variance_units=0) & Q(unit_cost__isnull=True)),
    )
    return StocktakeTotals(net_value=totals["gain_value"] - totals["loss_value"], **totals)


def _per_stocktake(lines: QuerySet[StocktakeLine], **aggregate) -> Subquery:
    """One aggregate over the lines of the outer stocktake, as a correlated subquery."""
    ((name, expression),) = aggregate.items()
    grouped = lines.filter(stocktake=OuterRef("pk")).order_by().values("stocktake")
    return Subquery(grouped.annotate(**{name: expression}).values(name))


def with_progress(stocktakes: QuerySet[Stocktake]) -> QuerySet[Stocktake]:
    """``stocktakes`` annotated with ``line_count``, ``counted_count`` and ``net_value``
    (the value of the variances counted so far; ``None`` until a variance of known cost),
    each a correlated subquery: one query for a whole list."""
    counted = StocktakeLine.objects.filter(counted__isnull=False)
    return stocktakes.annotate(
        line_count=Coalesce(_per_stocktake(StocktakeLine.objects.all(), n=Count("pk")), 0),
        counted_count=Coalesce(_per_stocktake(counted, n=Count("pk")), 0),
        net_value=_per_stocktake(_with_values(counted), total=Sum("variance_value")),
    )


def active_stocktakes() -> QuerySet[Stocktake]:
    """Counts in progress (counting or awaiting approval), with progress, oldest first."""
    return with_progress(
        Stocktake.objects.filter(status__in=Stocktake.ACTIVE).select_related("warehouse")
    ).order_by("opened_at", "pk")
