"""The carrier scorecard in the back office (``/admin/analytics/carrier-scorecard/``, listed
on the admin index under "Logistics" for whoever may view logistics cases): per carrier
and month the on-time rate, average transit time, exception rate and the exceptions'
cost, computed in SQL (``analytics.selectors.carriers``), with a CSV download."""

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
from orders.carriers import registry as carriers

from ..selectors import carriers as scorecard

SCORECARD_PERMISSION = "orders.view_logisticscase"


# --- Carrier scorecard -----------------------------------------------------------------------

MONTHS_SHOWN = 6


class ScorecardForm(forms.Form):
    since = forms.DateField(
        label=_("from month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    until = forms.DateField(
        label=_("to month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    carrier = forms.ChoiceField(label=_("carrier"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = [("", _("all"))] + [
            (name, carrier.label) for name, carrier in carriers.CARRIERS.items()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The first month comes after the last."))
        return data


def _default_since(today: datetime.date) -> datetime.date:
    month = today.year * 12 + today.month - 1 - (MONTHS_SHOWN - 1)
    return datetime.date(month // 12, month % 12 + 1, 1)


def _days(duration) -> str:
    return "" if duration is None else f"{duration.total_seconds() / 86400:.1f}"


COLUMNS = [
    (_("carrier"), lambda row: carriers.label(row["carrier"])),
    (_("month"), lambda row: row["month"].strftime("%Y-%m")),
    (pgettext_lazy("count", "shipments"), lambda row: row["shipments"]),
    (pgettext_lazy("count", "delivered"), lambda row: row["delivered"]),
    (_("on time"), lambda row: row["on_time"]),
    (_("on-time rate (%)"), lambda row: row["on_time_rate"]),
    (_("average transit (days)"), lambda row: _days(row["avg_transit"])),
    (_("lost"), lambda row: row["lost"]),
    (_("exception cases"), lambda row: row["cases"]),
    (_("exception rate (%)"), lambda row: row["exception_rate"]),
    (_("dispatched late"), lambda row: row["late_dispatch"]),
    (_("late-dispatch rate (%)"), lambda row: row["late_dispatch_rate"]),
    (_("cost"), lambda row: row["cost"]),
    (_("recovered"), lambda row: row["recovered"]),
    (_("net cost"), lambda row: row["net_cost"]),
]


def scorecard_view(request):
    if not request.user.has_perm(SCORECARD_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    form = ScorecardForm(request.GET if "filtered" in request.GET else None)
    params = {"since": _default_since(today), "until": today, "carrier": ""}
    if form.is_bound and form.is_valid():
        params = {key: form.cleaned_data[key] or params[key] for key in params}
    rows = list(scorecard.carrier_scorecard(**params))
    table = [[value(row) for _label, value in COLUMNS] for row in rows]
    if request.GET.get("format") == "csv":
        return csv_response("carrier-scorecard.csv", [label for label, _value in COLUMNS], table)
    query = request.GET.copy()
    query["format"] = "csv"
    context = {
        **admin.site.each_context(request),
        "title": _("Carrier scorecard"),
        "form": form,
        "columns": [label for label, _value in COLUMNS],
        "table": table,
        "params": params,
        "csv_url": "?" + query.urlencode(),
        "cases_url": reverse("admin:orders_logisticscase_changelist"),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/carrier_scorecard.html", context)


admin.site.register_page(
    route="analytics/carrier-scorecard/",
    view=scorecard_view,
    name="analytics_carrier_scorecard",
    label=_("Carrier scorecard"),
    section=_("Logistics"),
    permission=SCORECARD_PERMISSION,
)
