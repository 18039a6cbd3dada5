"""The KPI dashboard in the back office (``/admin/analytics/dashboard/``, for analysts and
managers): KPI tiles with the change against the period before, the trend of one metric
as an SVG chart, the funnel, targets, top products and channels, the recommendation
slots, and data-quality drifts. It reads the daily facts only, never raw events, in a
fixed number of queries whatever the range (``analytics.selectors.kpis``)."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..metrics import BY_KEY, METRICS, PERCENT
from ..selectors import kpis
from .charts import line_chart

DASHBOARD_PERMISSION = "analytics.view_dashboard"
DEFAULT_DAYS = 30
# Ten years at most: the queries are bounded anyway; this keeps the dates sensible.
MAX_DAYS = 3660


class DashboardForm(forms.Form):
    since = forms.DateField(
        label=_("from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("to"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    metric = forms.ChoiceField(
        label=_("trend of"), choices=[(m.key, m.label) for m in METRICS], initial="gmv"
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                raise forms.ValidationError(_("The first day comes after the last."))
            if (until - since).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose at most ten years."))
        return data


def _change(current, previous):
    """Percentage change from ``previous`` to ``current``; ``None`` when not defined."""
    if current is None or previous in (None, 0):
        return None
    return round((current - previous) / abs(previous) * 100, 1)


def tiles(totals: dict, previous: dict) -> list[dict]:
    rows = []
    for metric in METRICS:
        value, before = metric.value(totals), metric.value(previous)
        change = _change(value, before)
        rows.append(
            {
                "metric": metric,
                "value": value,
                "previous": before,
                "change": change,
                "good": None if change in (None, 0) else (change > 0) == (metric.better > 0),
            }
        )
    return rows


def funnel(totals: dict) -> list[dict]:
    steps = [
        (_("product views"), totals.get("product_views") or 0),
        (_("cart additions"), totals.get("cart_adds") or 0),
        (_("checkouts started"), totals.get("checkouts") or 0),
        (_("orders"), totals.get("orders") or 0),
    ]
    rows, before = [], None
    for label, value in steps:
        share = None if not before else round(value / before * 100, 1)
        rows.append({"label": label, "value": value, "share": share})
        before = value
    top = max(steps[0][1], 1)
    for row in rows:
        row["width"] = round(min(row["value"] / top, 1) * 100, 1)
    return rows


# What the slots are called on the dashboard (the key is what the page's data-rec-slot says).
SLOT_LABELS = {
    "bought_together": _("Frequently bought together (product page)"),
    "for_you": _("Recommended for you (cart page)"),
}


def dashboard_view(request):
    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    initial = {
        "since": today - datetime.timedelta(days=DEFAULT_DAYS - 1),
        "until": today,
        "metric": "gmv",
    }
    form = DashboardForm(request.GET if "until" in request.GET else None, initial=initial)
    params = initial
    if form.is_bound and form.is_valid():
        params = form.cleaned_data
    since, until, metric = params["since"], params["until"], BY_KEY[params["metric"]]
    span = (until - since).days + 1
    before_until = since - datetime.timedelta(days=1)
    before_since = before_until - datetime.timedelta(days=span - 1)
    totals = kpis.period_totals(since=since, until=until)
    previous = kpis.period_totals(since=before_since, until=before_until)
    grain, series = kpis.trend(since=since, until=until)
    slots = kpis.recommendation_slots(since=since, until=until)
    for row in slots:
        row["label"] = SLOT_LABELS.get(row["slot"], row["slot"])
    chart = line_chart([(row["start"].isoformat(), metric.value(row)) for row in series])
    context = {
        **admin.site.each_context(request),
        "title": _("KPI dashboard"),
        "form": form,
        "since": since,
        "until": until,
        "before_since": before_since,
        "before_until": before_until,
        "tiles": tiles(totals, previous),
        "percent": PERCENT,
        "trend_metric": metric,
        "grain": grain,
        "chart": chart,
        "funnel": funnel(totals),
        "products": kpis.top_products(since=since, until=until),
        "channels": kpis.top_channels(since=since, until=until),
        "slots": slots,
        "targets": kpis.target_progress(year=until.year, today=min(today, until)),
        "drifts": kpis.quality_drifts(),
        "metrics": METRICS,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/dashboard.html", context)


admin.site.register_page(
    route="analytics/dashboard/",
    view=dashboard_view,
    name="analytics_dashboard",
    label=_("KPI dashboard"),
    section=_("KPIs and targets"),
    permission=DASHBOARD_PERMISSION,
)
