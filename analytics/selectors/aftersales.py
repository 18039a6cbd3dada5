"""The after-sales report: cases, units, stock back, write-offs and refunds by product,
supplier or reason over a period, against the units sold, in a fixed number of queries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from mall.reports import day_bounds
from orders.models import (
    SOLD,
    AfterSalesCase,
    AfterSalesLine,
    OrderLine,
)
from orders.services.aftersales import FAULT_REASONS, upheld_cases

# --- The after-sales report ------------------------------------------------------------------

BY_PRODUCT, BY_SUPPLIER, BY_REASON = "product", "supplier", "reason"
GROUPINGS = {
    BY_PRODUCT: _("product"),
    BY_SUPPLIER: _("supplier"),
    BY_REASON: _("reason"),
}
_GROUP_FIELDS = {
    BY_PRODUCT: ("order_line__sku__product", "order_line__sku__product__name"),
    BY_SUPPLIER: (
        "order_line__sku__product__supplier",
        "order_line__sku__product__supplier__name",
    ),
    BY_REASON: ("case__reason", "case__reason"),
}
_SOLD_FIELDS = {BY_PRODUCT: "sku__product", BY_SUPPLIER: "sku__product__supplier"}
_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class ReportRow:
    key: object
    label: str
    cases: int
    fault_cases: int
    units: int
    back_to_stock: int
    written_off: int
    refunded: Decimal  # the goods' part of refunds
    sold: int | None = None  # units sold in the period (products and suppliers)
    shipping_refunded: Decimal | None = None  # by reason only: shipping is not split by line

    @property
    def per_hundred_sold(self) -> Decimal | None:
        """Units claimed per 100 units sold in the period."""
        if not self.sold:
            return None
        return (Decimal(self.units) * 100 / self.sold).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Report:
    by: str
    start: datetime.date
    end: datetime.date
    rows: list[ReportRow]
    totals: dict


def after_sales_report(*, by: str, start: datetime.date, end: datetime.date) -> Report:
    """Cases requested from ``start`` to ``end`` (local dates, both included), rejected
    and withdrawn ones left out, grouped ``by`` product, supplier or reason: cases
    (those for faulty goods apart), units claimed, units back to stock and written off,
    and the goods' part of the refunds; by product and supplier also the units sold in
    the period (orders placed then and paid) and claims per 100 sold; by reason also the
    shipping refunded. Most trouble first. Four queries, computed in SQL; ``totals``
    count each case once (a case about two products is one case)."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    begin, until = day_bounds(start, end)
    cases = upheld_cases().filter(created_at__gte=begin, created_at__lt=until)
    lines = AfterSalesLine.objects.filter(case__in=cases)
    key_field, label_field = _GROUP_FIELDS[by]
    zero = Value(Decimal("0.00"), output_field=_MONEY)
    figures = {
        "cases": Count("case", distinct=True),
        "fault_cases": Count("case", distinct=True, filter=Q(case__reason__in=FAULT_REASONS)),
        "units": Sum("quantity"),
        "back_to_stock": Sum("resaleable"),
        "written_off": Sum("written_off"),
        "refunded": Coalesce(Sum("refund_amount"), zero),
    }
    grouped = (
        lines.values(key_field, label_field)
        .annotate(**figures)
        .order_by("-cases", "-units", label_field)
    )
    rows = list(grouped)
    sold: dict = {}
    shipping: dict = {}
    if by in _SOLD_FIELDS:
        field = _SOLD_FIELDS[by]
        sold = dict(
            OrderLine.objects.filter(
                order__status__in=SOLD,
                order__placed_at__gte=begin,
                order__placed_at__lt=until,
                **{f"{field}__in": [row[key_field] for row in rows]},
            )
            .values(field)
            .annotate(units=Sum("quantity"))
            .values_list(field, "units")
        )
    else:
        shipping = dict(
            cases.values("reason")
            .annotate(total=Sum("shipping_refund"))
            .order_by()
            .values_list("reason", "total")
        )
    reasons = dict(AfterSalesCase.Reason.choices)
    report_rows = [
        ReportRow(
            key=row[key_field],
            label=str(reasons.get(row[label_field], row[label_field]))
            if by == BY_REASON
            else row[label_field],
            cases=row["cases"],
            fault_cases=row["fault_cases"],
            units=row["units"] or 0,
            back_to_stock=row["back_to_stock"] or 0,
            written_off=row["written_off"] or 0,
            refunded=row["refunded"],
            sold=sold.get(row[key_field], 0) if by in _SOLD_FIELDS else None,
            shipping_refunded=shipping.get(row[key_field], Decimal("0.00"))
            if by == BY_REASON
            else None,
        )
        for row in rows
    ]
    overall = cases.aggregate(
        cases=Count("pk"),
        fault_cases=Count("pk", filter=Q(reason__in=FAULT_REASONS)),
        shipping_refunded=Coalesce(Sum("shipping_refund"), zero),
    )
    totals = {
        **overall,
        "units": sum(row.units for row in report_rows),
        "back_to_stock": sum(row.back_to_stock for row in report_rows),
        "written_off": sum(row.written_off for row in report_rows),
        "refunded": sum((row.refunded for row in report_rows), Decimal("0.00")),
        "sold": sum(sold.values()) if by in _SOLD_FIELDS else None,
    }
    return Report(by=by, start=start, end=end, rows=report_rows, totals=totals)
