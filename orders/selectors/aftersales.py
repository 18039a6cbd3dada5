"""Read queries of after-sales for the shopper's pages, the support view, the admin and the
after-sales report: each returns what its page needs in a fixed number of queries,
whatever the number of cases, lines or photos.

(``orders/selectors.py`` is one module; these belong in ``orders/selectors/aftersales.py``
once it becomes a package.)
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from mall.reports import day_bounds

from ..models import (
    SOLD,
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesStatusChange,
    Order,
    OrderLine,
)
from ..services.aftersales import FAULT_REASONS, upheld_cases

_LINES = Prefetch(
    "lines", queryset=AfterSalesLine.objects.select_related("order_line").order_by("pk")
)
_PHOTOS = Prefetch("photos", queryset=AfterSalesPhoto.objects.order_by("pk"))


def cases_of(user) -> QuerySet[AfterSalesCase]:
    """A shopper's cases, newest first, with their order and lines (two queries a page)."""
    return (
        AfterSalesCase.objects.filter(user=user)
        .select_related("order")
        .prefetch_related(_LINES)
        .order_by("-created_at", "-pk")
    )


def case_detail(*, number: str, user=None) -> AfterSalesCase:
    """One case with its order, lines, photos, timeline (actors joined), refund and
    replacement: four queries. With ``user``, only that shopper's case is found (anyone
    else's is ``AfterSalesCase.DoesNotExist``, which pages turn into a 404)."""
    cases = AfterSalesCase.objects.select_related("order", "user", "refund", "replacement")
    if user is not None:
        cases = cases.filter(user=user)
    return cases.prefetch_related(
        _LINES,
        _PHOTOS,
        Prefetch(
            "timeline",
            queryset=AfterSalesStatusChange.objects.select_related("actor").order_by("at", "pk"),
        ),
    ).get(number=number)


def support_queue(*, status: str | None = None) -> QuerySet[AfterSalesCase]:
    """Cases for support, oldest waiting first (the queue is worked in order), with the
    shopper, the order, the lines and the number of photos: two queries a page."""
    cases = (
        AfterSalesCase.objects.select_related("order", "user")
        .prefetch_related(_LINES)
        .annotate(photo_count=Count("photos"))
        .order_by("status_changed_at", "pk")
    )
    if status:
        cases = cases.filter(status=status)
    return cases


def status_counts() -> dict[str, int]:
    """Cases per status, for the queue's tabs: one query."""
    rows = AfterSalesCase.objects.values("status").annotate(count=Count("pk")).order_by()
    return {row["status"]: row["count"] for row in rows}


def previous_cases(case: AfterSalesCase, *, limit: int = 20) -> list[AfterSalesCase]:
    """The shopper's other cases, newest first (one query)."""
    return list(
        AfterSalesCase.objects.filter(user_id=case.user_id)
        .exclude(pk=case.pk)
        .select_related("order")
        .order_by("-created_at", "-pk")[:limit]
    )


def order_lines_of(order: Order) -> list[OrderLine]:
    """The order's lines with their goods (for the request form and the support page)."""
    return list(order.lines.select_related("sku__product").order_by("pk"))


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
