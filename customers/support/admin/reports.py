"""The feedback report in the back office: how shoppers rate and complain about each product
or supplier, month by month or quarter by quarter, and what they complain about most, so
operators know which goods and suppliers to act on (and to spot-check).

It combines the catalog's product reviews with the customers app's tickets, so it lives
here, above both. Figures are SQL aggregates in a fixed number of queries (six at most),
with a CSV download of either table. Readers need ``catalog.view_productreview`` and
``support.view_ticket`` (operators and analysts). Registered by ``customers/admin.py``.

Definitions (also shown on the page):

- reviews: product reviews written in the period, hidden ones included (each comes from
  a delivered order line, so its rating is a buyer's even when its words were hidden);
- average rating and the share of 1–2 star reviews among them;
- complaints: tickets of type "complaint" opened in the period about the product (the
  ticket's product), or, for tickets without a product, about an order containing it. A
  complaint about an order of three products counts once for each of them, so the rows
  may add up to more than the number of complaints;
- complaint categories: the tickets' categories, over all complaints of the period and
  per supplier.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Product, ProductReview, Supplier
from customers.support.models import Ticket
from mall.reports import csv_response, day_bounds

PERMISSIONS = ("catalog.view_productreview", "support.view_ticket")
BY_PRODUCT, BY_SUPPLIER = "product", "supplier"
GROUPINGS = {BY_PRODUCT: _("product"), BY_SUPPLIER: _("supplier")}
MONTH, QUARTER = "month", "quarter"
BUCKETS = {MONTH: _("month"), QUARTER: _("quarter")}
_TRUNC = {MONTH: TruncMonth, QUARTER: TruncQuarter}
# The path from a review, and from a ticket (its product, else its order's goods), to the
# product or supplier a row is about.
_REVIEW_KEY = {BY_PRODUCT: "product_id", BY_SUPPLIER: "product__supplier_id"}
_TICKET_KEY = {
    BY_PRODUCT: ("product_id", "order__lines__sku__product_id"),
    BY_SUPPLIER: ("product__supplier_id", "order__lines__sku__product__supplier_id"),
}
LOW_STARS = 2
# Rows where at least this share of reviews gave 1–2 stars are highlighted on the page.
ALERT_LOW_SHARE = 20
MAX_DAYS = 731


@dataclass(frozen=True)
class FeedbackRow:
    key: int
    label: str
    supplier: str  # a product row's supplier ("" on supplier rows)
    period: datetime.date  # the first day of the month or quarter
    period_label: str
    reviews: int = 0
    rating_total: int = 0
    low: int = 0  # reviews of 1 or 2 stars
    complaints: int = 0

    @property
    def average(self) -> Decimal | None:
        return _ratio(self.rating_total, self.reviews, "0.01")

    @property
    def low_share(self) -> Decimal | None:
        """Reviews of 1–2 stars, in percent of the reviews."""
        return _ratio(100 * self.low, self.reviews, "0.1")


@dataclass(frozen=True)
class SupplierCategories:
    key: int
    label: str
    total: int
    counts: dict[str, int]  # ticket category -> complaints

    def in_order(self, categories) -> list[int]:
        return [self.counts.get(value, 0) for value, _label in categories]


@dataclass
class FeedbackReport:
    by: str
    bucket: str
    start: datetime.date
    end: datetime.date
    rows: list[FeedbackRow]
    categories: list[tuple[str, str, int]]  # (value, label, complaints), most first
    supplier_categories: list[SupplierCategories]
    totals: dict = field(default_factory=dict)


def _ratio(numerator, denominator, places) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(places), rounding=ROUND_HALF_UP
    )


def _period(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def period_label(period: datetime.date, bucket: str) -> str:
    if bucket == QUARTER:
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    return f"{period:%Y-%m}"


def _complaints(begin, until):
    return Ticket.objects.filter(
        type=Ticket.Type.COMPLAINT, created_at__gte=begin, created_at__lt=until
    )


def feedback_report(
    *, by: str, bucket: str, start: datetime.date, end: datetime.date
) -> FeedbackReport:
    """Reviews and complaints from ``start`` to ``end`` (local dates, both included) per
    product or supplier (``by``) and month or quarter (``bucket``): the number of reviews,
    their average rating, the share of 1–2 star reviews and the number of complaints;
    groups with the most complaints first (then the largest share of poor reviews), each
    group's periods in order. Also the complaint categories, overall and per supplier.
    Six queries at most, whatever the number of rows."""
    if by not in GROUPINGS or bucket not in BUCKETS:
        raise ValueError(f"unknown grouping {by!r} or bucket {bucket!r}")
    begin, until = day_bounds(start, end)
    trunc = _TRUNC[bucket]

    review_rows = (
        ProductReview.objects.filter(created_at__gte=begin, created_at__lt=until)
        .annotate(period=trunc("created_at"))
        .values(_REVIEW_KEY[by], "period")
        .annotate(
            reviews=Count("pk"),
            rating_total=Sum("rating"),
            low=Count("pk", filter=Q(rating__lte=LOW_STARS)),
        )
        .order_by()
    )
    figures: dict[tuple[int, datetime.date], dict] = {}
    for row in review_rows:
        key = (row[_REVIEW_KEY[by]], _period(row["period"]))
        figures[key] = {
            "reviews": row["reviews"],
            "rating_total": row["rating_total"] or 0,
            "low": row["low"],
        }

    # A ticket's own product, else every product of its order (LEFT JOINs: a ticket about
    # a product repeats per order line, hence the distinct count).
    own, through_order = _TICKET_KEY[by]
    complaint_rows = (
        _complaints(begin, until)
        .annotate(item=Coalesce(own, through_order), period=trunc("created_at"))
        .filter(item__isnull=False)
        .values("item", "period")
        .annotate(complaints=Count("pk", distinct=True))
        .order_by()
    )
    for row in complaint_rows:
        key = (row["item"], _period(row["period"]))
        figures.setdefault(key, {})["complaints"] = row["complaints"]

    labels, suppliers = _labels(by, {item for item, _period_ in figures})
    rows = [
        FeedbackRow(
            key=item,
            label=labels.get(item, f"#{item}"),
            supplier=suppliers.get(item, ""),
            period=period,
            period_label=period_label(period, bucket),
            **values,
        )
        for (item, period), values in figures.items()
    ]
    rows = _sorted(rows)

    choices = dict(Ticket.Category.choices)
    complaints = _complaints(begin, until)
    overall = list(
        complaints.values("category").annotate(count=Count("pk")).order_by("-count", "category")
    )
    categories = [
        (row["category"], str(choices.get(row["category"], row["category"])), row["count"])
        for row in overall
    ]
    supplier_categories = _supplier_categories(complaints)

    reviews = sum(row.reviews for row in rows)
    rating_total = sum(row.rating_total for row in rows)
    low = sum(row.low for row in rows)
    totals = {
        "reviews": reviews,
        "average": _ratio(rating_total, reviews, "0.01"),
        "low_share": _ratio(100 * low, reviews, "0.1"),
        "complaints": sum(count for _value, _label, count in categories),
    }
    return FeedbackReport(
        by=by,
        bucket=bucket,
        start=start,
        end=end,
        rows=rows,
        categories=categories,
        supplier_categories=supplier_categories,
        totals=totals,
    )


def _labels(by: str, keys: set[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the rows' products (with their suppliers) or suppliers: one query."""
    if not keys:
        return {}, {}
    if by == BY_PRODUCT:
        found = Product.objects.filter(pk__in=keys).values_list("pk", "name", "supplier__name")
        return {pk: name for pk, name, _s in found}, {pk: supplier for pk, _n, supplier in found}
    return dict(Supplier.objects.filter(pk__in=keys).values_list("pk", "name")), {}


def _sorted(rows: list[FeedbackRow]) -> list[FeedbackRow]:
    """Groups with the most complaints first, then the largest share of 1–2 star reviews,
    then the most reviews; within a group, the periods in order."""
    groups: dict[int, dict] = {}
    for row in rows:
        group = groups.setdefault(row.key, {"complaints": 0, "low": 0, "reviews": 0})
        group["complaints"] += row.complaints
        group["low"] += row.low
        group["reviews"] += row.reviews

    def rank(row):
        group = groups[row.key]
        share = Decimal(group["low"]) / group["reviews"] if group["reviews"] else Decimal(0)
        return (-group["complaints"], -share, -group["reviews"], row.label, row.key, row.period)

    return sorted(rows, key=rank)


def _supplier_categories(complaints) -> list[SupplierCategories]:
    """Complaints per supplier and category, most complained-about supplier first: two
    queries (the counts, the names)."""
    own, through_order = _TICKET_KEY[BY_SUPPLIER]
    rows = list(
        complaints.annotate(supplier=Coalesce(own, through_order))
        .filter(supplier__isnull=False)
        .values("supplier", "category")
        .annotate(count=Count("pk", distinct=True))
        .order_by()
    )
    if not rows:
        return []
    by_supplier: dict[int, dict[str, int]] = {}
    for row in rows:
        by_supplier.setdefault(row["supplier"], {})[row["category"]] = row["count"]
    names = dict(Supplier.objects.filter(pk__in=list(by_supplier)).values_list("pk", "name"))
    result = [
        SupplierCategories(
            key=supplier,
            label=names.get(supplier, f"#{supplier}"),
            # A ticket has one category, so the categories' counts add up to the
            # supplier's complaints without counting a ticket twice.
            total=sum(counts.values()),
            counts=counts,
        )
        for supplier, counts in by_supplier.items()
    ]
    return sorted(result, key=lambda row: (-row.total, row.label))


# --- The page -----------------------------------------------------------------------------


class FeedbackReportForm(forms.Form):
    by = forms.ChoiceField(label=pgettext_lazy("report", "by"), choices=list(GROUPINGS.items()))
    bucket = forms.ChoiceField(label=_("per"), choices=list(BUCKETS.items()))
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if start and end and (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most two years."))
        return data


def default_params() -> dict:
    """The last six months, this one included, by product and month."""
    today = timezone.localdate()
    month = today.month - 5
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return {"by": BY_PRODUCT, "bucket": MONTH, "start": datetime.date(year, month, 1), "end": today}


def _text(value) -> str:
    return "—" if value is None else str(value)


def _main_columns(by: str) -> list[tuple[str, object]]:
    columns = [(str(GROUPINGS[by]), lambda row: row.label)]
    if by == BY_PRODUCT:
        columns.append((str(_("supplier")), lambda row: row.supplier))
    columns += [
        (str(_("period")), lambda row: row.period_label),
        (str(_("reviews")), lambda row: row.reviews),
        (str(_("average rating")), lambda row: row.average),
        (str(_("1–2 star reviews (%)")), lambda row: row.low_share),
        (str(_("complaints")), lambda row: row.complaints),
    ]
    return columns


def _review_list_url(by: str, key: int) -> str:
    parameter = "product__id__exact" if by == BY_PRODUCT else "product__supplier__id__exact"
    return f"{reverse('admin:catalog_productreview_changelist')}?{parameter}={key}"


def feedback_report_view(request):
    if not request.user.has_perms(PERMISSIONS):
        raise PermissionDenied
    initial = default_params()
    form = FeedbackReportForm(request.GET if "by" in request.GET else None, initial=initial)
    params = form.cleaned_data if form.is_bound and form.is_valid() else initial
    report = feedback_report(**params)
    columns = _main_columns(report.by)
    category_choices = list(Ticket.Category.choices)
    stamp = f"{report.start:%Y%m%d}-{report.end:%Y%m%d}"
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "categories":
            header = [str(_("supplier")), str(_("complaints"))] + [
                str(label) for _value, label in category_choices
            ]
            rows = [
                [row.label, row.total, *row.in_order(category_choices)]
                for row in report.supplier_categories
            ]
            return csv_response(f"complaint-categories-{stamp}.csv", header, rows)
        header = [label for label, _value in columns]
        rows = [[value(row) for _label, value in columns] for row in report.rows]
        return csv_response(f"feedback-by-{report.by}-{report.bucket}-{stamp}.csv", header, rows)
    query = request.GET.copy()
    for name, value in params.items():
        query.setdefault(name, value)
    query["format"] = "csv"
    categories_query = query.copy()
    categories_query["table"] = "categories"
    context = {
        **admin.site.each_context(request),
        "title": _("Feedback report"),
        "form": form,
        "report": report,
        "columns": [label for label, _value in columns],
        "text_columns": 3 if report.by == BY_PRODUCT else 2,
        "rows": [
            {
                "cells": [_text(value(row)) for _label, value in columns],
                "url": _review_list_url(report.by, row.key) if row.reviews else None,
                "alert": row.low_share is not None and row.low_share >= ALERT_LOW_SHARE,
            }
            for row in report.rows
        ],
        "category_labels": [label for _value, label in category_choices],
        "supplier_rows": [
            {"label": row.label, "total": row.total, "counts": row.in_order(category_choices)}
            for row in report.supplier_categories
        ],
        "csv_url": "?" + query.urlencode(),
        "categories_csv_url": "?" + categories_query.urlencode(),
        "reviews_url": reverse("admin:catalog_productreview_changelist"),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/customers/feedback_report.html", context)


admin.site.register_page(
    route="customers/feedback-report/",
    view=feedback_report_view,
    name="customers_feedback_report",
    label=_("Feedback report"),
    section=_("Customer feedback"),
    permission=PERMISSIONS,
)
