"""The after-sales report in the back office (``/admin/analytics/after-sales-report/``, for
whoever may view after-sales cases): cases, units, what went back to stock or was written
off and what was refunded, by product, supplier or reason over a period, computed in SQL
(``analytics.selectors.aftersales``), with a CSV download."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.reports import csv_response

from ..selectors import aftersales as selectors

REPORT_PERMISSION = "orders.view_aftersalescase"


# --- The after-sales report ------------------------------------------------------------------


class ReportForm(forms.Form):
    by = forms.ChoiceField(
        label=pgettext_lazy("report", "by"), choices=list(selectors.GROUPINGS.items())
    )
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if start and end and (end - start).days > 731:
            raise forms.ValidationError(_("Choose a period of at most two years."))
        return data


def _columns(by: str) -> list[tuple[str, object]]:
    columns = [
        (str(selectors.GROUPINGS[by]), lambda row: row.label),
        (_("cases"), lambda row: row.cases),
        (_("for faulty goods"), lambda row: row.fault_cases),
        (pgettext_lazy("after-sales report", "units claimed"), lambda row: row.units),
        (_("back to stock"), lambda row: row.back_to_stock),
        (_("written off"), lambda row: row.written_off),
        (_("refunded for goods"), lambda row: row.refunded),
    ]
    if by == selectors.BY_REASON:
        columns.append((_("refunded for shipping"), lambda row: row.shipping_refunded))
    else:
        columns += [
            (_("units sold"), lambda row: row.sold),
            (_("claimed per 100 sold"), lambda row: row.per_hundred_sold),
        ]
    return columns


def _cell(value) -> str:
    return "—" if value is None else str(value)


def report_view(request):
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    initial = {
        "by": selectors.BY_PRODUCT,
        "start": today - datetime.timedelta(days=29),
        "end": today,
    }
    form = ReportForm(request.GET if "by" in request.GET else None, initial=initial)
    params = form.cleaned_data if form.is_bound and form.is_valid() else initial
    report = selectors.after_sales_report(by=params["by"], start=params["start"], end=params["end"])
    columns = _columns(report.by)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"after-sales-by-{report.by}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv",
            [label for label, _value in columns],
            ([value(row) for _label, value in columns] for row in report.rows),
        )
    query = request.GET.copy()
    query["format"] = "csv"
    for name, value in params.items():
        query.setdefault(name, value)
    context = {
        **admin.site.each_context(request),
        "title": _("After-sales report"),
        "form": form,
        "report": report,
        "columns": [label for label, _value in columns],
        "rows": [[_cell(value(row)) for _label, value in columns] for row in report.rows],
        "totals": report.totals,
        "csv_url": "?" + query.urlencode(),
        "cases_url": reverse("admin:orders_aftersalescase_changelist"),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/aftersales_report.html", context)


admin.site.register_page(
    route="analytics/after-sales-report/",
    view=report_view,
    name="analytics_aftersales_report",
    label=_("After-sales report"),
    section=_("After-sales"),
    permission=REPORT_PERMISSION,
)
