"""The channel report in the back office (``/admin/analytics/channel-report/``, for whoever
may watch campaigns): per channel and placement over a period, clicks, sessions, orders
credited by the last non-direct click, conversion, cost per order and per new customer,
ROI, and the orders of the previous period of the same length
(``analytics.selectors.channels``), with a CSV download."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.reports import csv_response

from ..selectors import channels as selectors

REPORT_PERMISSION = "marketing.watch_campaign"


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if start and end and (end - start).days > selectors.MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most two years."))
        return data


def _cell(value) -> str:
    return "—" if value is None else str(value)


COLUMNS = (
    (_("channel"), lambda row: row.channel),
    (_("placement"), lambda row: row.placement),
    (_("campaign"), lambda row: row.campaign),
    (_("clicks"), lambda row: row.clicks),
    (_("click-through %"), lambda row: row.click_through),
    (_("sessions"), lambda row: row.sessions),
    (_("orders"), lambda row: row.orders),
    (_("conversion %"), lambda row: row.conversion),
    (_("new customers"), lambda row: row.new_customers),
    (_("GMV"), lambda row: row.gmv),
    (_("cost"), lambda row: row.cost),
    (_("cost per order"), lambda row: row.cost_per_order),
    (_("cost per new customer"), lambda row: row.cost_per_new_customer),
    (_("ROI"), lambda row: row.roi),
    (_("orders, previous period"), lambda row: row.previous_orders),
)


def report_view(request):
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    initial = {"start": today - datetime.timedelta(days=6), "end": today}
    form = PeriodForm(request.GET if "start" in request.GET else None, initial=initial)
    params = form.cleaned_data if form.is_bound and form.is_valid() else initial
    report = selectors.channel_report(start=params["start"], end=params["end"])
    rows = []
    for channel in report:
        rows.append(("total", [_cell(value(channel)) for _label, value in COLUMNS]))
        rows.extend(
            ("placement", [_cell(value(row)) for _label, value in COLUMNS])
            for row in channel.placements
        )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"channels-{params['start']:%Y%m%d}-{params['end']:%Y%m%d}.csv",
            [str(label) for label, _value in COLUMNS],
            (cells for _kind, cells in rows),
        )
    query = request.GET.copy()
    query["format"] = "csv"
    for name, value in params.items():
        query.setdefault(name, value)
    context = {
        **admin.site.each_context(request),
        "title": _("Channel report"),
        "form": form,
        "columns": [label for label, _value in COLUMNS],
        "rows": rows,
        "window_days": selectors.window().days,
        "csv_url": "?" + query.urlencode(),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/channel_report.html", context)


admin.site.register_page(
    route="analytics/channel-report/",
    view=report_view,
    name="analytics_channel_report",
    label=_("Channel report"),
    section=_("Campaigns and channels"),
    permission=REPORT_PERMISSION,
)
