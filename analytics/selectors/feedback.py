"""The feedback report's figures: product reviews and complaints per product or supplier
and month or quarter, and the complaint categories per supplier (definitions in
``analytics.admin.feedback``), as SQL aggregates in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, ProductReview, Supplier
from customers.support.models import Ticket
from mall.reports import day_bounds

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
