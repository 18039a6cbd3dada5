"""Operators' admin for logistics exceptions (delayed, lost, damaged parcels).

Cases open by themselves (the polling job) and are resolved only through
``orders.services.logistics``: reship, refund, claim from the carrier, or close without
action, each with a resolution text and what it cost. Resolving needs
``orders.change_logisticscase`` (operators); nobody edits a case's fields.

The carrier scorecard is analytics' (``analytics.admin.carriers``).
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.history import TransitionHistoryInline

from ..carriers import registry as carriers
from ..exceptions import OrderError
from ..models import LOGISTICS_CASE_MACHINE, LogisticsCase, LogisticsCaseChange
from ..services import fulfilment, logistics

SCORECARD_PERMISSION = "orders.view_logisticscase"


class CaseHistoryInline(TransitionHistoryInline):
    model = LogisticsCaseChange
    status_choices = dict(LogisticsCase.Status.choices)
    machine = LOGISTICS_CASE_MACHINE
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


def _refund_payout(case, data):
    """What the refund pays: the amount typed in, else the parcel's goods."""
    if data and data.get("amount") is not None:
        return data["amount"]
    return fulfilment.goods_value(case.shipment)


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
        payout=_refund_payout,
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
