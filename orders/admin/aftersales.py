"""After-sales cases in the back office.

Cases are read here (nobody edits their fields); they change through
``orders.services.aftersales`` only:

- **Receive and inspect** (a page per case, for the warehouse: ``orders.inspect_aftersalescase``):
  per line, the units fit to sell again (back to stock with a return movement) and the
  units written off, with a reason. A return is then refunded and an exchange's
  replacement sent automatically.
- **Actions**: "ship the replacement" and "send back repaired" (warehouse), "refund now"
  for operators (``orders.cancel_order``, who already refund orders they cancel) when the
  automatic refund did not go through or the provider refused it, "close" (warehouse or
  support).
- Photos are shown through the private photo view (``aftersales:photo``), never /media/.

The after-sales report is analytics' (``analytics.admin.aftersales``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action
from mall.admin.history import TransitionHistoryInline
from mall.admin.readonly import ReadOnlyInline
from mall.statemachine import IllegalTransition

from ..exceptions import OrderError
from ..models import (
    AFTER_SALES_MACHINE,
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesStatusChange,
)
from ..providers.base import ProviderError
from ..services import aftersales
from ..services.aftersales import DECIDE, INSPECT, AfterSalesRefused, Inspection

REFUND_RETRY = "orders.cancel_order"
VIEW_CASES = "orders.view_aftersalescase"
REFUSALS = (OrderError, IllegalTransition, ProviderError)


def photo_url(photo: AfterSalesPhoto) -> str | None:
    try:
        return reverse("aftersales:photo", args=[photo.case.number, photo.pk])
    except NoReverseMatch:  # the shopper's pages are not mounted
        return None


class CaseInline(ReadOnlyInline):
    def has_view_permission(self, request, obj=None):
        # Part of the case: whoever may see the case sees its lines and photos.
        return request.user.has_perm(VIEW_CASES)


class AfterSalesLineInline(CaseInline):
    model = AfterSalesLine
    fields = (
        "item",
        "quantity",
        "resaleable",
        "written_off",
        "write_off_reason",
        "refund_amount",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")

    @admin.display(description=_("item"))
    def item(self, line):
        order_line = line.order_line
        label = order_line.product_name
        if order_line.sku_label:
            label += f" · {order_line.sku_label}"
        return f"{label} ({order_line.sku_code}, {order_line.unit_price})"


class AfterSalesPhotoInline(CaseInline):
    model = AfterSalesPhoto
    fields = ("preview", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case")

    @admin.display(description=_("photo"))
    def preview(self, photo):
        url = photo_url(photo)
        if url is None:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" '
            'style="max-width:240px;max-height:240px"></a>',
            url,
            url,
        )


class AfterSalesTimelineInline(TransitionHistoryInline):
    model = AfterSalesStatusChange
    status_choices = dict(AfterSalesCase.Status.choices)
    machine = AFTER_SALES_MACHINE
    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")


def _refund(case, actor, reason):
    return aftersales.retry_refund(case=case, actor=actor)


def _case_payout(case, data):
    """What the refund action pays: the recorded refund, else what the policy says."""
    if case.refund_amount is not None:
        return case.refund_amount + (case.shipping_refund or 0)
    try:
        return aftersales.refund_due(case).total
    except REFUSALS:  # the action itself reports why this case cannot be refunded
        return 0


def _ship_replacement(case, actor, reason):
    return aftersales.ship_replacement(case=case, actor=actor)


def _repair(case, actor, note):
    return aftersales.repair_case(case=case, actor=actor, note=note)


def _close(case, actor, note):
    return aftersales.close_case(case=case, actor=actor, reason=note)


CASE_ACTIONS = [
    ServiceAction(
        name="refund",
        label=_("Refund now (the automatic refund did not go through)"),
        done=_("%(count)d refunds made or submitted again."),
        perform=_refund,
        sources=frozenset({"approved", "received", "refunded", "closed"}),
        permission="refund",
        refusals=REFUSALS,
        payout=_case_payout,
    ),
    ServiceAction(
        name="ship_replacement",
        label=_("Ship the replacement (exchanges)"),
        done=_("%(count)d replacements sent to picking."),
        perform=_ship_replacement,
        sources=AFTER_SALES_MACHINE["ship_replacement"].sources,
        permission="inspect",
        refusals=REFUSALS,
    ),
    ServiceAction(
        name="repair",
        label=_("Send back repaired (repairs)"),
        done=_("%(count)d cases recorded as repaired."),
        perform=_repair,
        sources=AFTER_SALES_MACHINE["repair"].sources,
        reason_label=_("What was repaired, and the parcel back (carrier and number)"),
        permission="inspect",
        refusals=REFUSALS,
    ),
    ServiceAction(
        name="close",
        label=_("Close"),
        done=_("%(count)d cases closed."),
        perform=_close,
        sources=AFTER_SALES_MACHINE["close"].sources,
        reason_label=_("Note (optional)"),
        reason_required=False,
        permission="close",
        refusals=REFUSALS,
    ),
]


class InspectForm(forms.Form):
    """Per case line: units fit to sell again, units written off and why; and a note."""

    note = forms.CharField(
        label=_("Inspection note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Required when fewer units arrived than were claimed."),
    )

    def __init__(self, *args, case, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.counts = case.kind != AfterSalesCase.Kind.REPAIR
        if not self.counts:
            return
        for line in lines:
            self.fields[f"resaleable_{line.pk}"] = forms.IntegerField(
                label=_("back to stock"),
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
            )
            self.fields[f"written_off_{line.pk}"] = forms.IntegerField(
                label=_("written off"), min_value=0, max_value=line.quantity, initial=0
            )
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label=_("why written off"), required=False, max_length=200
            )

    def rows(self):
        if not self.counts:
            return [(line, None, None, None) for line in self.lines]
        return [
            (
                line,
                self[f"resaleable_{line.pk}"],
                self[f"written_off_{line.pk}"],
                self[f"reason_{line.pk}"],
            )
            for line in self.lines
        ]

    def results(self) -> dict[int, Inspection]:
        if not self.counts:
            return {}
        data = self.cleaned_data
        return {
            line.pk: Inspection(
                resaleable=data[f"resaleable_{line.pk}"],
                written_off=data[f"written_off_{line.pk}"],
                write_off_reason=data[f"reason_{line.pk}"],
            )
            for line in self.lines
        }


@admin.register(AfterSalesCase)
class AfterSalesCaseAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "order",
        "user",
        "kind",
        "reason",
        "status",
        "created_at",
        "status_changed_at",
        "refunded",
    )
    list_filter = ("status", "kind", "reason", "created_at")
    list_select_related = ("order", "user")
    search_fields = ("=number", "=order__number", "user__phone", "=return_tracking_number")
    date_hierarchy = "created_at"
    inlines = [AfterSalesLineInline, AfterSalesPhotoInline, AfterSalesTimelineInline]
    service_actions = CASE_ACTIONS
    actions = [make_admin_action(spec) for spec in CASE_ACTIONS]
    change_form_template = "admin/orders/aftersales/change_form.html"
    fieldsets = (
        (None, {"fields": ("number", "order", "user", "kind", "reason", "description")}),
        (_("Status"), {"fields": ("status", "created_at", "status_changed_at")}),
        (
            _("Goods back"),
            {
                "fields": (
                    "return_parcel",
                    "inspected_by",
                    "inspected_at",
                    "inspection_note",
                )
            },
        ),
        (_("Outcome"), {"fields": ("refund_amount", "shipping_refund", "refund", "replacement")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in AfterSalesCase._meta.fields] + ["return_parcel"]

    @admin.display(description=_("return parcel"))
    def return_parcel(self, case):
        if not case.return_tracking_number:
            return "—"
        return f"{aftersales.carrier_label(case.return_carrier)} {case.return_tracking_number}"

    @admin.display(description=_("refunded"))
    def refunded(self, case):
        if case.refund_amount is None:
            return "—"
        return case.refund_amount + case.shipping_refund

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_inspect_permission(self, request):
        return request.user.has_perm(INSPECT)

    def has_refund_permission(self, request):
        return request.user.has_perm(REFUND_RETRY)

    def has_close_permission(self, request):
        return request.user.has_perm(INSPECT) or request.user.has_perm(DECIDE)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/inspect/",
                view(self.inspect_view),
                name="orders_aftersalescase_inspect",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_inspect": case is not None
            and self.has_inspect_permission(request)
            and AFTER_SALES_MACHINE.can(case, "receive"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def inspect_view(self, request, object_id):
        if not self.has_inspect_permission(request):
            raise PermissionDenied
        case = self.get_object(request, unquote(object_id))
        if case is None:
            raise Http404
        change_url = reverse("admin:orders_aftersalescase_change", args=[case.pk])
        if not AFTER_SALES_MACHINE.can(case, "receive"):
            self.message_user(
                request,
                _("%(case)s is not on its way back: nothing to receive.") % {"case": case},
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        lines = list(case.lines.select_related("order_line").order_by("pk"))
        form = InspectForm(
            request.POST if request.method == "POST" else None, case=case, lines=lines
        )
        if request.method == "POST" and form.is_valid():
            try:
                follow = aftersales.receive_and_inspect(
                    case=case,
                    actor=request.user,
                    results=form.results(),
                    note=form.cleaned_data["note"],
                )
            except AfterSalesRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            except (OrderError, IllegalTransition) as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _("%(case)s is received and inspected.") % {"case": case},
                    messages.SUCCESS,
                )
                if follow.problem:
                    self.message_user(
                        request,
                        _("The next step waits for a person: %(problem)s")
                        % {"problem": follow.problem},
                        messages.WARNING,
                    )
                elif follow.case.status == AfterSalesCase.Status.REFUNDED:
                    self.message_user(request, _("The refund is on its way."), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        photos = [(photo, photo_url(photo)) for photo in case.photos.select_related("case")]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Receive and inspect %(case)s") % {"case": case},
            "opts": self.model._meta,
            "original": case,
            "carrier": aftersales.carrier_label(case.return_carrier),
            "form": form,
            "photos": photos,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/orders/aftersales/inspect.html", context)
