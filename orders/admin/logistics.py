"""Operators' admin for logistics exceptions (delayed, lost, damaged parcels) and the
carrier scorecard.

Cases open by themselves (the polling job) and are resolved only through
``orders.services.logistics``: reship, refund, claim from the carrier, or close without
action, each with a resolution text and what it cost. Resolving needs
``orders.change_logisticscase`` (operators); nobody edits a case's fields.

The scorecard (``/admin/orders/carrier-scorecard/``, listed on the admin index under
"Logistics" for whoever may view cases) shows per carrier and month the on-time rate,
average transit time, exception rate and the exceptions' cost, computed in SQL
(``logistics.carrier_scorecard``), with a CSV download.
"""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.history import TransitionHistoryInline
from mall.reports import csv_response

from ..carriers import registry as carriers
from ..exceptions import OrderError
from ..models import LOGISTICS_CASE_MACHINE, LogisticsCase, LogisticsCaseChange
from ..services import logistics

SCORECARD_PERMISSION = "orders.view_logisticscase"


class CaseHistoryInline(TransitionHistoryInline):
    model = LogisticsCaseChange
    status_choices = dict(LogisticsCase.Status.choices)
    verbose_name = _("history entry")
    verbose_name_plural = _("history")


# --- Resolutions -----------------------------------------------------------------------------


def _money_field(label, help_text):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=help_text,
    )


class ResolutionForm(forms.Form):
    resolution = forms.CharField(
        label=_("resolution"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("What was decided and why; kept in the case's history."),
    )


class ReshipForm(ResolutionForm):
    cost = _money_field(
        _("cost"), _("Leave empty for the goods at the order's prices plus the postage.")
    )
    claim_amount = _money_field(
        _("also claim from the carrier"), _("Optional: the amount to claim for the parcel.")
    )


class RefundForm(ResolutionForm):
    amount = _money_field(
        _("amount to refund"), _("Leave empty for the parcel's goods at the order's prices.")
    )
    claim_amount = ReshipForm.base_fields["claim_amount"]


class ClaimForm(ResolutionForm):
    amount = _money_field(
        _("amount to claim"), _("Leave empty for the parcel's goods at the order's prices.")
    )
    cost = _money_field(_("cost"), _("The loss the shop carries; empty: the goods' value."))


class CloseForm(ResolutionForm):
    cost = _money_field(_("cost"), _("Usually nothing."))


def _reship(case, actor, data):
    return logistics.reship_case(
        case=case,
        actor=actor,
        resolution=data["resolution"],
        cost=data["cost"],
        claim_amount=data["claim_amount"],
    )


def _refund(case, actor, data):
    return logistics.refund_case(
        case=case,
        actor=actor,
        resolution=data["resolution"],
        amount=data["amount"],
        claim_amount=data["claim_amount"],
    )


def _claim(case, actor, data):
    return logistics.claim_case(
        case=case,
        actor=actor,
        resolution=data["resolution"],
        amount=data["amount"],
        cost=data["cost"],
    )


def _close(case, actor, data):
    return logistics.close_case(
        case=case, actor=actor, resolution=data["resolution"], cost=data["cost"]
    )


# Every resolution needs ``has_resolve_permission``; an ``OrderError`` is reported per case.
RESOLVE = {"permission": "resolve", "refusals": (OrderError,)}

CASE_ACTIONS = [
    transition_action(
        LOGISTICS_CASE_MACHINE,
        "reship",
        label=_("Reship (send the goods again)"),
        done=_("%(count)d cases resolved by a reshipment."),
        perform=_reship,
        form_class=ReshipForm,
        **RESOLVE,
    ),
    transition_action(
        LOGISTICS_CASE_MACHINE,
        "refund",
        label=_("Refund the shopper"),
        done=_("%(count)d cases resolved by a refund."),
        perform=_refund,
        form_class=RefundForm,
        **RESOLVE,
    ),
    transition_action(
        LOGISTICS_CASE_MACHINE,
        "claim",
        label=_("Claim from the carrier"),
        done=_("%(count)d cases claimed from the carrier."),
        perform=_claim,
        form_class=ClaimForm,
        **RESOLVE,
    ),
    transition_action(
        LOGISTICS_CASE_MACHINE,
        "close",
        label=_("Close without action"),
        done=_("%(count)d cases closed."),
        perform=_close,
        form_class=CloseForm,
        **RESOLVE,
    ),
]


@admin.register(LogisticsCase)
class LogisticsCaseAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = (
        "case",
        "kind",
        "status",
        "shipment_link",
        "order_number",
        "carrier",
        "detail",
        "opened_at",
        "cost",
        "recovered",
        "resolved_at",
    )
    list_filter = ("status", "kind", "shipment__carrier", "opened_at")
    list_select_related = ("shipment__order",)
    search_fields = ("=shipment__number", "=shipment__tracking_number", "=shipment__order__number")
    search_help_text = _("Shipment, tracking or order number")
    date_hierarchy = "opened_at"
    inlines = [CaseHistoryInline]
    service_actions = CASE_ACTIONS
    actions = [make_admin_action(spec) for spec in CASE_ACTIONS]
    fieldsets = (
        (None, {"fields": ("kind", "status", "shipment", "detail", "opened_at")}),
        (
            _("Resolution"),
            {
                "fields": (
                    "resolution",
                    "cost",
                    "recovered",
                    "reshipment",
                    "refund",
                    "resolved_by",
                    "resolved_at",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in LogisticsCase._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resolve_permission(self, request):
        return request.user.has_perm("orders.change_logisticscase")

    @admin.display(description=_("case"), ordering="pk")
    def case(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=_("shipment"), ordering="shipment__number")
    def shipment_link(self, obj):
        url = reverse("admin:orders_shipment_change", args=[obj.shipment_id])
        return format_html('<a href="{}">{}</a>', url, obj.shipment.number)

    @admin.display(description=_("order"), ordering="shipment__order__number")
    def order_number(self, obj):
        return obj.shipment.order.number

    @admin.display(description=_("carrier"), ordering="shipment__carrier")
    def carrier(self, obj):
        return carriers.label(obj.shipment.carrier)


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
    rows = list(logistics.carrier_scorecard(**params))
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
    return TemplateResponse(request, "admin/orders/logisticscase/scorecard.html", context)


admin.site.register_page(
    route="orders/carrier-scorecard/",
    view=scorecard_view,
    name="orders_carrier_scorecard",
    label=_("Carrier scorecard"),
    section=_("Logistics"),
    permission=SCORECARD_PERMISSION,
)
