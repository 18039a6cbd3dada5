"""Admin for prices: change requests, their approval by a second operator, and the audit
trail of a SKU's prices.

Prices change only through ``catalog.services.pricing``: the add page asks for a change
(amount, optional "was" price, optional start time, reason) and the service decides
whether it applies now, waits for approval or is scheduled. Price rows and history are
read-only for everyone.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import CatalogError
from catalog.models import PRICE_CHANGE_MACHINE, SKU, PriceChange, PriceChangeRecord, SkuPrice
from catalog.services import pricing
from mall.admin import approval
from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.history import TransitionHistoryInline


class PriceChangeForm(forms.Form):
    sku = forms.ModelChoiceField(queryset=SKU.objects.select_related("product"), label=_("SKU"))
    amount = forms.DecimalField(label=_("new price"), max_digits=12, decimal_places=2)
    reference_amount = forms.DecimalField(
        label=_("was price"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_(
            "Optional. Shown crossed out; at most the lowest price of the 7 days before the "
            "new price starts."
        ),
    )
    effective_at = forms.SplitDateTimeField(
        label=_("effective at"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("Empty: now (or as soon as approved). A later time shows a public notice."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200)
    below_cost_reason = forms.CharField(
        label=_("reason for selling below cost"),
        max_length=200,
        required=False,
        help_text=_(
            "Only when the new price is below the SKU's moving-average cost: say why; a "
            "second operator must then approve the change."
        ),
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["sku"]
        field.widget = AutocompleteSelect(PriceChange._meta.get_field("sku"), admin_site)
        field.widget.choices = field.choices


class PriceChangeHistoryInline(TransitionHistoryInline):
    model = PriceChangeRecord
    status_choices = dict(PriceChange.Status.choices)
    machine = PRICE_CHANGE_MACHINE


def _approve(change, actor, reason):
    return pricing.approve_price_change(change=change, actor=actor, reason=reason)


def _reject(change, actor, reason):
    return pricing.reject_price_change(change=change, actor=actor, reason=reason)


def _cancel(change, actor, reason):
    return pricing.cancel_price_change(change=change, actor=actor, reason=reason)


PRICE_ACTIONS = (
    transition_action(
        PRICE_CHANGE_MACHINE,
        "approve",
        label=_("Approve (as the second operator)"),
        done=_("%(count)d price change(s) approved."),
        perform=_approve,
    ),
    transition_action(
        PRICE_CHANGE_MACHINE,
        "reject",
        label=_("Reject"),
        done=_("%(count)d price change(s) rejected."),
        perform=_reject,
        reason_label=_("Why is it rejected?"),
    ),
    transition_action(
        PRICE_CHANGE_MACHINE,
        "cancel",
        label=_("Cancel before it applies"),
        done=_("%(count)d price change(s) cancelled."),
        perform=_cancel,
        reason_label=_("Why is it cancelled?"),
    ),
)


STEP_LABELS = {
    "request": _("requested"),
    "approve": _("approved"),
    "reject": _("rejected"),
    "apply": _("took effect"),
    "cancel": _("cancelled"),
}


class AwaitingMyApprovalFilter(approval.AwaitingMyApprovalFilter):
    pending_state = PriceChange.Status.PENDING
    asked_by_field = "requested_by"


@admin.register(PriceChange)
class PriceChangeAdmin(approval.DecisionButtonsMixin, ServiceActionsMixin, admin.ModelAdmin):
    decision_actions = ("approve", "reject", "cancel")

    def asked_by_id_of(self, obj):
        return obj.requested_by_id

    service_actions = PRICE_ACTIONS
    actions = [make_admin_action(spec) for spec in PRICE_ACTIONS]
    list_display = (
        "sku",
        "previous_amount",
        "amount",
        "change_share",
        "reference_amount",
        "effective_at",
        "status",
        "requested_by",
        "approved_by",
        "requested_at",
        "audit_link",
    )
    list_filter = (AwaitingMyApprovalFilter, "status", "needs_approval")
    list_select_related = ("sku__product", "requested_by", "approved_by")
    search_fields = ("sku__code", "sku__product__name", "reason")
    date_hierarchy = "requested_at"
    inlines = [PriceChangeHistoryInline]
    fields = (
        "sku",
        "previous_amount",
        "amount",
        "reference_amount",
        "effective_at",
        "reason",
        "cost_at_request",
        "below_cost_reason",
        "needs_approval",
        "status",
        "requested_by",
        "requested_at",
        "approved_by",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        # "Change" here means acting through the actions (approve, reject, cancel); every
        # field stays read-only and the services check who may do what.
        user = request.user
        return user.has_perm("catalog.add_pricechange") or user.has_perm(
            "catalog.approve_pricechange"
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("change"))
    def change_share(self, obj):
        if not obj.previous_amount:
            return "—"
        share = (obj.amount - obj.previous_amount) / obj.previous_amount * 100
        return f"{share:+.1f}%"

    @admin.display(description=_("audit trail"))
    def audit_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:catalog_pricechange_audit", args=[obj.sku_id]),
            _("prices of this SKU"),
        )

    def get_urls(self):
        return [
            path(
                "sku/<int:sku_id>/",
                self.admin_site.admin_view(self.audit_view),
                name="catalog_pricechange_audit",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"sku": request.GET.get("sku")} if request.GET.get("sku") else None
        form = PriceChangeForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                change = pricing.request_price_change(
                    sku=data["sku"],
                    amount=data["amount"],
                    reference_amount=data["reference_amount"],
                    effective_at=data["effective_at"],
                    reason=data["reason"],
                    below_cost_reason=data["below_cost_reason"],
                    actor=request.user,
                )
            except CatalogError as error:
                form.add_error(None, str(error))
            else:
                # Waiting for a second operator is not done yet: a notice, not a success.
                waiting = change.status == PriceChange.Status.PENDING
                level = messages.WARNING if waiting else messages.SUCCESS
                self.message_user(request, self._outcome(change), level)
                return HttpResponseRedirect(
                    reverse("admin:catalog_pricechange_audit", args=[change.sku_id])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change a price"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/pricechange/request.html", context)

    @staticmethod
    def _outcome(change: PriceChange) -> str:
        if change.status == PriceChange.Status.APPLIED:
            return _("The new price %(amount)s applies now.") % {"amount": change.amount}
        if change.status == PriceChange.Status.PENDING:
            return _(
                "The change of “%(sku)s” to %(amount)s needs a second operator: it waits for "
                "their approval and applies only then."
            ) % {"sku": change.sku, "amount": change.amount}
        return _("The change to %(amount)s is scheduled; a notice is shown until it applies.") % {
            "amount": change.amount
        }

    def audit_view(self, request, sku_id):
        """Everything about one SKU's price: each price row with its interval, who set it
        and why, and every step of every change request (four queries)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        sku = get_object_or_404(SKU.objects.select_related("product"), pk=sku_id)
        prices = SkuPrice.objects.filter(sku=sku).select_related("set_by", "change")
        history = PriceChangeRecord.objects.select_related("actor").order_by("-at", "-pk")
        changes = (
            PriceChange.objects.filter(sku=sku)
            .select_related("requested_by", "approved_by")
            .prefetch_related(Prefetch("history", queryset=history, to_attr="steps"))
        )
        changes = list(changes)
        for change in changes:
            for step in change.steps:
                step.label = STEP_LABELS.get(step.transition, step.transition)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Price audit trail of %(sku)s") % {"sku": sku},
            "opts": self.opts,
            "sku": sku,
            "prices": prices,
            "changes": changes,
            "current": pricing.current_price(sku),
            "can_request": self.has_add_permission(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/pricechange/audit.html", context)


@admin.register(SkuPrice)
class SkuPriceAdmin(admin.ModelAdmin):
    """The price history, to read: rows come only from applied price changes."""

    list_display = (
        "sku",
        "amount",
        "reference_amount",
        "valid_from",
        "valid_to",
        "set_by",
        "reason",
        "change",
    )
    list_select_related = ("sku__product", "set_by", "change__sku__product")
    search_fields = ("sku__code", "sku__product__name")
    date_hierarchy = "valid_from"
    readonly_fields = (
        "sku",
        "amount",
        "reference_amount",
        "valid_from",
        "valid_to",
        "set_by",
        "change",
        "reason",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
