"""Reads of the daily facts for the dashboard and the targets: each a fixed number of
queries whatever the date range (sums and groupings happen in PostgreSQL)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractMonth, TruncMonth, TruncWeek

from catalog.models import Category

from ..metrics import COUNT, METRICS, Metric
from ..models import (
    DailyChannelFact,
    DailyKpi,
    DailyProductFact,
    DailySlotFact,
    QualityCheck,
    Target,
)

KPI_COLUMNS = [
    field.name for field in DailyKpi._meta.fields if field.name not in ("day", "built_at")
]


PRODUCT_FACT_COLUMNS = ("views", "cart_adds", "orders", "units", "gmv")
CHANNEL_FACT_COLUMNS = ("visitors", "sessions", "orders", "gmv")


def _sums():
    return {name: Sum(name) for name in KPI_COLUMNS}


def period_totals(*, since: datetime.date, until: datetime.date) -> dict:
    """Every fact column summed over the days from ``since`` to ``until``: one query."""
    totals = DailyKpi.objects.filter(day__gte=since, day__lte=until).aggregate(**_sums())
    return {key: value or 0 for key, value in totals.items()}


def monthly_totals(*, year: int) -> dict[int, dict]:
    """Month number -> column sums of ``year``: one query."""
    rows = (
        DailyKpi.objects.filter(day__year=year)
        .annotate(month=ExtractMonth("day"))
        .values("month")
        .annotate(**_sums())
        .order_by("month")
    )
    return {row.pop("month"): row for row in rows}


def monthly_values(
    *, year: int, metric: Metric, category_id: int | None = None, channel: str = ""
) -> dict[int, Decimal]:
    """Month number -> the metric's value in ``year``: the whole shop's, one category's
    (with its subcategories) or one channel's. At most two queries."""
    if category_id:
        months = category_monthly_totals(year=year, category_ids=[category_id])[category_id]
    elif channel:
        months = channel_monthly_totals(year=year, channels=[channel])[channel]
    else:
        months = monthly_totals(year=year)
    return {month: metric.value(totals) for month, totals in months.items()}


def category_subtrees(category_ids) -> dict[int, set[int]]:
    """Each category id -> itself and all its subcategories: one query (the whole tree,
    a few hundred rows at most, walked in Python)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Category.objects.order_by().values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    result = {}
    for root in category_ids:
        seen, stack = set(), [root]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(children.get(node, ()))
        result[root] = seen
    return result


def category_monthly_totals(*, year: int, category_ids) -> dict[int, dict[int, dict]]:
    """Category id -> month -> the product facts' sums (views, cart additions, orders,
    units, GMV) of the category and its subcategories in ``year``: two queries however
    many categories."""
    subtrees = category_subtrees(category_ids)
    leaves = set().union(*subtrees.values()) if subtrees else set()
    rows = (
        DailyProductFact.objects.filter(day__year=year, category_id__in=leaves)
        .annotate(month=ExtractMonth("day"))
        .values("month", "category_id")
        .annotate(**{name: Sum(name) for name in PRODUCT_FACT_COLUMNS})
        .order_by()
    )
    result: dict[int, dict[int, dict]] = {pk: {} for pk in category_ids}
    for row in rows:
        for root, members in subtrees.items():
            if row["category_id"] in members:
                month = result[root].setdefault(row["month"], {})
                for name in PRODUCT_FACT_COLUMNS:
                    month[name] = month.get(name, 0) + (row[name] or 0)
    return result


def channel_monthly_totals(*, year: int, channels) -> dict[str, dict[int, dict]]:
    """Channel -> month -> the channel facts' sums (visitors, sessions, orders, GMV) in
    ``year``: one query however many channels."""
    rows = (
        DailyChannelFact.objects.filter(day__year=year, channel__in=list(channels))
        .annotate(month=ExtractMonth("day"))
        .values("month", "channel")
        .annotate(**{name: Sum(name) for name in CHANNEL_FACT_COLUMNS})
        .order_by()
    )
    result: dict[str, dict[int, dict]] = {channel: {} for channel in channels}
    for row in rows:
        result[row["channel"]][row["month"]] = {name: row[name] for name in CHANNEL_FACT_COLUMNS}
    return result


def trend(*, since: datetime.date, until: datetime.date) -> tuple[str, list[dict]]:
    """The series of the range at a grain that keeps it short: days up to two months,
    weeks up to a year and a half, months beyond; (grain, [column sums with "start"]).
    One query, at most about 62 points."""
    span = (until - since).days + 1
    grain = "day" if span <= 62 else "week" if span <= 550 else "month"
    rows = DailyKpi.objects.filter(day__gte=since, day__lte=until)
    if grain == "day":
        rows = rows.annotate(start=F("day"))
    else:
        rows = rows.annotate(start=(TruncWeek if grain == "week" else TruncMonth)("day"))
    rows = rows.values("start").annotate(**_sums()).order_by("start")
    return grain, list(rows)


def top_products(*, since, until, limit: int = 10) -> list[dict]:
    """Products by GMV over the range, with their views → cart additions → orders: one query."""
    return list(
        DailyProductFact.objects.filter(day__gte=since, day__lte=until)
        .values("product_id", "product__name")
        .annotate(
            views=Sum("views"),
            cart_adds=Sum("cart_adds"),
            orders=Sum("orders"),
            units=Sum("units"),
            gmv=Sum("gmv"),
        )
        .order_by("-gmv", "-views", "product_id")[:limit]
    )


def top_channels(*, since, until, limit: int = 10) -> list[dict]:
    return list(
        DailyChannelFact.objects.filter(day__gte=since, day__lte=until)
        .values("channel")
        .annotate(
            visitors=Sum("visitors"),
            sessions=Sum("sessions"),
            orders=Sum("orders"),
            gmv=Sum("gmv"),
        )
        .order_by("-gmv", "-sessions", "channel")[:limit]
    )


def recommendation_slots(*, since, until, limit: int = 20) -> list[dict]:
    """Each recommendation slot over the range: impressions, clicks, orders after a click,
    and the click-through and order rates (ratios of sums): one query."""
    rows = list(
        DailySlotFact.objects.filter(day__gte=since, day__lte=until)
        .values("slot")
        .annotate(impressions=Sum("impressions"), clicks=Sum("clicks"), orders=Sum("orders"))
        .order_by("-impressions", "slot")[:limit]
    )
    for row in rows:
        row["click_rate"] = (
            round(row["clicks"] / row["impressions"] * 100, 1) if row["impressions"] else None
        )
        row["order_rate"] = round(row["orders"] / row["clicks"] * 100, 1) if row["clicks"] else None
    return rows


def quality_drifts(*, limit: int = 20):
    """The latest checks whose facts differ from the books, newest day first."""
    return list(
        QualityCheck.objects.filter(~Q(fact_value=F("source_value"))).order_by("-day", "metric")[
            :limit
        ]
    )


# --- Targets -----------------------------------------------------------------------------

AMBER_SHARE = Decimal("0.90")


@dataclass
class Progress:
    label: str
    target: Decimal
    actual: Decimal | None
    projected: Decimal | None
    elapsed_days: int
    days: int

    @property
    def share(self):
        """Actual as a percentage of the target."""
        if self.actual is None or not self.target:
            return None
        return (Decimal(self.actual) / self.target * 100).quantize(Decimal("0.1"))

    @property
    def pace(self):
        """Actual against what the target expects by now (100 = on pace)."""
        if self.actual is None or not self.target or not self.elapsed_days:
            return None
        expected = self.target * self.elapsed_days / self.days
        return (Decimal(self.actual) / expected * 100).quantize(Decimal("0.1"))

    @property
    def status(self) -> str:
        """ "green" when the period ends (or ended) at or above target at this pace, "amber"
        within 10 % below, "red" further below, "" before it starts."""
        if not self.elapsed_days or self.projected is None:
            return ""
        if self.projected >= self.target:
            return "green"
        return "amber" if self.projected >= self.target * AMBER_SHARE else "red"


def _progress(label, target, months_actual, months, today, year, metric) -> Progress:
    first = datetime.date(year, months[0], 1)
    last = datetime.date(year + (months[-1] == 12), months[-1] % 12 + 1, 1) - datetime.timedelta(
        days=1
    )
    days = (last - first).days + 1
    elapsed = max(0, min(days, (today - first).days + 1))
    actual = None
    projected = None
    if elapsed:
        totals = {}
        for month in months:
            for key, value in months_actual.get(month, {}).items():
                totals[key] = totals.get(key, 0) + (value or 0)
        actual = metric.value(totals) if totals else Decimal(0)
        actual = Decimal(actual or 0)
        projected = actual * days / elapsed
        if metric.kind == COUNT:
            projected = projected.quantize(Decimal("1"))
        else:
            projected = projected.quantize(Decimal("0.01"))
    return Progress(label, target, actual, projected, elapsed, days)


QUARTERS = [(1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12)]


def target_progress(*, year: int, today: datetime.date) -> list[dict]:
    """Each target of ``year`` (the whole shop's, then per category, then per channel)
    with its year, quarters and months: target, actual (from the facts), pace and
    red/amber/green. At most six queries however many targets."""
    by_key = {metric.key: metric for metric in METRICS}
    targets = sorted(
        Target.objects.filter(year=year).select_related("category").prefetch_related("months"),
        key=lambda t: (bool(t.channel), t.category_id is not None, t.scope_label, t.metric),
    )
    if not targets:
        return []
    shop = monthly_totals(year=year)
    category_ids = {t.category_id for t in targets if t.category_id}
    channels = {t.channel for t in targets if t.channel}
    by_category = (
        category_monthly_totals(year=year, category_ids=category_ids) if category_ids else {}
    )
    by_channel = channel_monthly_totals(year=year, channels=channels) if channels else {}
    result = []
    for target in targets:
        metric = by_key.get(target.metric)
        if metric is None:
            continue
        if target.category_id:
            months_actual = by_category[target.category_id]
        elif target.channel:
            months_actual = by_channel[target.channel]
        else:
            months_actual = shop
        month_targets = {m.month: m.amount for m in target.months.all()}
        year_row = _progress(
            str(year), target.amount, months_actual, list(range(1, 13)), today, year, metric
        )
        quarters = [
            _progress(
                f"Q{index}",
                sum(month_targets.get(m, 0) for m in months),
                months_actual,
                list(months),
                today,
                year,
                metric,
            )
            for index, months in enumerate(QUARTERS, start=1)
        ]
        months = [
            _progress(
                f"{year}-{m:02d}",
                month_targets.get(m, Decimal(0)),
                months_actual,
                [m],
                today,
                year,
                metric,
            )
            for m in range(1, 13)
        ]
        result.append(
            {
                "target": target,
                "metric": metric,
                "scope": target.scope_label,
                "year": year_row,
                "quarters": quarters,
                "months": months,
            }
        )
    return result
