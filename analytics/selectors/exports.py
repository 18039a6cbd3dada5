"""What can be exported: each report names its columns (contact columns marked), checks
its parameters, counts its rows in one query and reads them in chunks (a server-side
cursor), so an export of any size runs in bounded memory and a fixed number of queries
per chunk."""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import CustomerScore, DailyChannelFact, DailyKpi, DailyProductFact, Segment
from .kpis import KPI_COLUMNS

CHUNK = 2000
# Ten years of days: the facts are bounded per day, the range keeps the file sensible.
MAX_DAYS = 3660


class BadParameters(ValueError):
    """The parameters do not fit the report; ``str()`` says why, for a person."""


@dataclass(frozen=True)
class Report:
    key: str
    label: str
    needs_range: bool
    needs_segment: bool
    has_contacts: bool
    headers: Callable[[bool], list[str]]
    queryset: Callable[[dict], QuerySet]
    row: Callable[[object, bool], list]

    def clean(self, params: dict) -> dict:
        """The parameters this report takes, parsed and checked (``BadParameters``)."""
        cleaned = {}
        if self.needs_range:
            try:
                since = datetime.date.fromisoformat(str(params.get("since", "")))
                until = datetime.date.fromisoformat(str(params.get("until", "")))
            except ValueError:
                raise BadParameters(_("Give the first and the last day.")) from None
            if since > until:
                raise BadParameters(_("The first day comes after the last."))
            if (until - since).days >= MAX_DAYS:
                raise BadParameters(_("Choose at most ten years."))
            cleaned.update(since=since.isoformat(), until=until.isoformat())
        if self.needs_segment:
            segment = params.get("segment") or ""
            if segment and segment not in Segment.values:
                raise BadParameters(_("Choose one of the segments."))
            cleaned["segment"] = segment
        return cleaned

    def count(self, params: dict) -> int:
        return self.queryset(params).count()

    def rows(self, params: dict, *, with_contacts: bool) -> Iterator[list]:
        for item in self.queryset(params).iterator(chunk_size=CHUNK):
            yield self.row(item, with_contacts)


def _range(params):
    return {"day__gte": params["since"], "day__lte": params["until"]}


# --- daily KPIs ---------------------------------------------------------------------------


def _kpi_headers(with_contacts):
    return [_("day"), *(str(DailyKpi._meta.get_field(name).verbose_name) for name in KPI_COLUMNS)]


def _kpi_queryset(params):
    return DailyKpi.objects.filter(**_range(params)).order_by("day").values("day", *KPI_COLUMNS)


def _kpi_row(item, with_contacts):
    return [item["day"], *(item[name] for name in KPI_COLUMNS)]


# --- products -----------------------------------------------------------------------------

PRODUCT_SUMS = ("views", "cart_adds", "orders", "units", "gmv")


def _product_headers(with_contacts):
    return [
        _("product id"),
        _("product"),
        _("category id"),
        _("product views"),
        _("cart additions"),
        _("orders"),
        _("units"),
        _("GMV"),
    ]


def _product_queryset(params):
    return (
        DailyProductFact.objects.filter(**_range(params))
        .values("product_id", "product__name", "product__category_id")
        .annotate(**{name: Sum(name) for name in PRODUCT_SUMS})
        .order_by("-gmv", "-views", "product_id")
    )


def _product_row(item, with_contacts):
    return [
        item["product_id"],
        item["product__name"],
        item["product__category_id"],
        *(item[name] for name in PRODUCT_SUMS),
    ]


# --- channels -----------------------------------------------------------------------------

CHANNEL_SUMS = ("visitors", "sessions", "orders", "gmv")


def _channel_headers(with_contacts):
    return [_("channel"), _("visitors"), _("sessions"), _("orders"), _("GMV")]


def _channel_queryset(params):
    return (
        DailyChannelFact.objects.filter(**_range(params))
        .values("channel")
        .annotate(**{name: Sum(name) for name in CHANNEL_SUMS})
        .order_by("-gmv", "-sessions", "channel")
    )


def _channel_row(item, with_contacts):
    return [item["channel"], *(item[name] for name in CHANNEL_SUMS)]


# --- RFM segments -------------------------------------------------------------------------


def _segment_headers(with_contacts):
    # With contacts the first column is the mobile number or email, so the file is a
    # coupon audience marketing can upload as it is; without, the shopper's id.
    first = [_("mobile or email"), _("email")] if with_contacts else [_("shopper id")]
    return [
        *first,
        _("display name"),
        _("segment"),
        "R",
        "F",
        "M",
        _("days since the last order"),
        _("orders"),
        _("spent"),
        _("last order"),
        _("agreed to marketing"),
    ]


def _segment_queryset(params):
    scores = CustomerScore.objects.select_related("user").order_by("-monetary", "user_id")
    if params.get("segment"):
        scores = scores.filter(segment=params["segment"])
    return scores


def _segment_row(score, with_contacts):
    user = score.user
    first = [user.phone or user.email or "", user.email or ""] if with_contacts else [user.pk]
    return [
        *first,
        user.display_name,
        score.get_segment_display(),
        score.r_score,
        score.f_score,
        score.m_score,
        score.recency_days,
        score.frequency,
        score.monetary,
        timezone.localtime(score.last_order_at).strftime("%Y-%m-%d %H:%M"),
        _("yes") if user.marketing_consent else _("no"),
    ]


REPORTS: dict[str, Report] = {
    report.key: report
    for report in (
        Report(
            "daily_kpis",
            gettext_lazy("Daily KPIs"),
            True,
            False,
            False,
            _kpi_headers,
            _kpi_queryset,
            _kpi_row,
        ),
        Report(
            "products",
            gettext_lazy("Products: views, cart additions, orders, GMV"),
            True,
            False,
            False,
            _product_headers,
            _product_queryset,
            _product_row,
        ),
        Report(
            "channels",
            gettext_lazy("Channels: visitors, sessions, orders, GMV"),
            True,
            False,
            False,
            _channel_headers,
            _channel_queryset,
            _channel_row,
        ),
        Report(
            "segment",
            gettext_lazy("Customer segment (RFM scores)"),
            False,
            True,
            True,
            _segment_headers,
            _segment_queryset,
            _segment_row,
        ),
    )
}
