"""The warehouse's admin: shipments (filters by state, warehouse and carrier), pick lists
per warehouse (printable), the packing check, handing parcels to a carrier, and each
shipment's lines, tracking events, history and exception cases.

Shipments change only through ``orders.services.fulfilment``: nobody edits their fields.
Packing needs ``orders.pack_shipment``, shipping ``orders.ship_shipment`` (the warehouse
role holds both); cancelling a shipment still in the warehouse needs
``orders.change_shipment`` (superusers). A service's refusal comes back as a form error
or an error message, with every reason.
"""

import datetime
import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Warehouse
from mall.admin.actions import (
    ServiceAction,
    ServiceActionsMixin,
    make_admin_action,
    transition_action,
)
from mall.admin.history import TransitionHistoryInline
from mall.admin.readonly import ReadOnlyInline
from mall.statemachine import IllegalTransition

from ..carriers import registry as carriers
from ..exceptions import OrderError
from ..models import (
    SHIPMENT_MACHINE,
    LogisticsCase,
    Shipment,
    ShipmentLine,
    ShipmentStatusChange,
    TrackingEvent,
)
from ..selectors import fulfilment as fulfilment_selectors
from ..services import fulfilment, waybills

PACK = "orders.pack_shipment"
SHIP = "orders.ship_shipment"


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ("sku_code", "barcode", "product", "spec", "quantity")
    verbose_name_plural = _("contents")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line__sku")

    @admin.display(description=_("SKU code"))
    def sku_code(self, line):
        return line.order_line.sku.code

    @admin.display(description=_("barcode"))
    def barcode(self, line):
        return line.order_line.sku.barcode or "—"

    @admin.display(description=_("product"))
    def product(self, line):
        return line.order_line.product_name

    @admin.display(description=_("specification"))
    def spec(self, line):
        return line.order_line.sku_label or "—"


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ("occurred_at", "kind", "location", "description", "recorded_at")
    ordering = ("-occurred_at", "-pk")
    verbose_name_plural = _("tracking events (newest first)")


class LogisticsCaseInline(ReadOnlyInline):
    model = LogisticsCase
    fk_name = "shipment"
    fields = ("kind", "status", "detail", "opened_at", "cost", "recovered", "resolved_at")
    show_change_link = True
    verbose_name_plural = _("logistics exceptions")


class ShipmentHistoryInline(TransitionHistoryInline):
    model = ShipmentStatusChange
    status_choices = dict(Shipment.Status.choices)
    machine = SHIPMENT_MACHINE
    verbose_name = _("history entry")
    verbose_name_plural = _("history")


# --- Forms -----------------------------------------------------------------------------------


class CarrierForm(forms.Form):
    carrier = forms.ChoiceField(label=_("carrier"))
    tracking_number = forms.CharField(
        label=_("tracking number"),
        max_length=32,
        required=False,
        help_text=_(
            "Only for a tracking service (快递100): the number on the waybill the "
            "carrier's own system printed. Other carriers give the number themselves."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].choices = carriers.choices()


# One scanned or typed line: a SKU code or barcode, then optionally the units
# ("LJ-250", "LJ-250 3", "LJ-250 x3", "6901234567892*2").
SCAN = re.compile(r"^(?P<code>\S+?)(?:(?:\s+[x×]?\s*|\s*[*×,，]\s*)(?P<quantity>\d{1,4}))?$")


class PackingForm(forms.Form):
    scans = forms.CharField(
        label=_("scanned items"),
        widget=forms.Textarea(attrs={"rows": 10, "cols": 50, "autofocus": True}),
        help_text=_(
            "One item per line: scan its barcode or type its SKU code, followed by the "
            "units when more than one (“LJ-250 3”). Scanning an item three times counts "
            "three units."
        ),
    )

    condition = forms.MultipleChoiceField(
        label=_("condition of the parcel"),
        choices=list(fulfilment.CONDITION_CHECKS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick each once you checked it: the parcel cannot leave without all three."),
    )

    def clean_scans(self):
        items, unreadable = [], []
        for number, line in enumerate(self.cleaned_data["scans"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            match = SCAN.match(line)
            if match is None:
                unreadable.append(str(number))
                continue
            items.append((match["code"], int(match["quantity"] or 1)))
        if unreadable:
            raise forms.ValidationError(
                _("Cannot read line(s) %(lines)s: a code, then the units if more than one.")
                % {"lines": ", ".join(unreadable)}
            )
        return items


# --- Actions ---------------------------------------------------------------------------------


def _ship(shipment, actor, data):
    return fulfilment.ship(
        shipment=shipment,
        carrier=data["carrier"],
        actor=actor,
        tracking_number=data.get("tracking_number", "").strip(),
    )


def _cancel(shipment, actor, reason):
    return fulfilment.cancel_shipment(shipment=shipment, actor=actor, reason=reason)


SHIP_ACTION = transition_action(
    SHIPMENT_MACHINE,
    "ship",
    label=_("Hand to a carrier"),
    done=_("%(count)d shipments handed to the carrier."),
    perform=_ship,
    form_class=CarrierForm,
    permission="ship",
    refusals=(OrderError,),
)
CANCEL_ACTION = transition_action(
    SHIPMENT_MACHINE,
    "cancel",
    label=_("Cancel (the reserved units go back on sale)"),
    done=_("%(count)d shipments cancelled."),
    perform=_cancel,
    reason_label=_("Reason (kept in the shipment's history)"),
    permission="cancel",
    refusals=(OrderError,),
)


def _cancel_part(shipment, actor, reason):
    return fulfilment.cancel_part(shipment=shipment, actor=actor, reason=reason)


CANCEL_PART_ACTION = ServiceAction(
    name="cancel_part",
    sources=SHIPMENT_MACHINE["cancel"].sources,
    label=_("Cancel this parcel and refund its goods (the rest of the order goes on)"),
    done=_("%(count)d parcels cancelled and refunded."),
    perform=_cancel_part,
    reason_label=_("Reason (told to the shopper and kept on the order's timeline)"),
    permission="cancel_part",
    refusals=(OrderError,),
)


class DispatchFilter(admin.SimpleListFilter):
    """The warehouse's queue: parcels still in the warehouse past their ship-by time, or
    about to miss it (within ``MALL_DISPATCH_ESCALATE_HOURS``)."""

    title = _("dispatch")
    parameter_name = "dispatch"

    def lookups(self, request, model_admin):
        return [("overdue", _("past the ship-by time")), ("soon", _("ship-by time close"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        in_warehouse = queryset.filter(status__in=[Shipment.Status.PICKING, Shipment.Status.PACKED])
        if self.value() == "overdue":
            return in_warehouse.filter(ship_by__lt=now).order_by("ship_by")
        if self.value() == "soon":
            horizon = now + datetime.timedelta(hours=settings.MALL_DISPATCH_ESCALATE_HOURS)
            return in_warehouse.filter(ship_by__gte=now, ship_by__lte=horizon).order_by("ship_by")
        return queryset


class CarrierFilter(admin.SimpleListFilter):
    title = _("carrier")
    parameter_name = "carrier"

    def lookups(self, request, model_admin):
        return [(name, carrier.label) for name, carrier in carriers.CARRIERS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(carrier=self.value()) if self.value() else queryset


@admin.register(Shipment)
class ShipmentAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "order",
        "warehouse",
        "status",
        "ship_by",
        "carrier_label",
        "tracking_number",
        "estimated_delivery",
        "shipped_at",
        "delivered_at",
        "last_event_at",
        "work",
    )
    list_filter = (DispatchFilter, "status", "warehouse", CarrierFilter, "shipped_at")
    list_select_related = ("order", "warehouse")
    search_fields = ("=number", "=tracking_number", "=order__number")
    search_help_text = _("Shipment, tracking or order number")
    date_hierarchy = "created_at"
    inlines = [ShipmentLineInline, TrackingEventInline, LogisticsCaseInline, ShipmentHistoryInline]
    service_actions = [SHIP_ACTION, CANCEL_ACTION, CANCEL_PART_ACTION]
    actions = [
        make_admin_action(SHIP_ACTION),
        make_admin_action(CANCEL_ACTION),
        make_admin_action(CANCEL_PART_ACTION),
    ]
    change_list_template = "admin/orders/shipment/change_list.html"
    change_form_template = "admin/orders/shipment/change_form.html"
    fieldsets = (
        (None, {"fields": ("number", "order", "warehouse", "status", "replaces", "note")}),
        (
            _("Dispatch"),
            {"fields": ("ship_by", "escalated_at", "intact", "complete", "labelled")},
        ),
        (
            pgettext_lazy("staff", "Carrier"),
            {"fields": ("carrier_label", "tracking_number", "estimated_delivery")},
        ),
        (
            _("Steps"),
            {
                "fields": (
                    "created_at",
                    "packed_at",
                    "packed_by",
                    "shipped_at",
                    "shipped_by",
                    "delivered_at",
                )
            },
        ),
        (_("Polling"), {"fields": ("last_event_at", "next_poll_at", "idle_polls")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Shipment._meta.fields] + ["carrier_label"]

    def get_list_display(self, request):
        if self._can(request, PACK) or self._can(request, SHIP):
            return self.list_display
        return tuple(name for name in self.list_display if name != "work")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_ship_permission(self, request):
        return self._can(request, SHIP)

    def has_cancel_permission(self, request):
        return self._can(request, "orders.change_shipment")

    def has_cancel_part_permission(self, request):
        # Cancelling a parcel cancels part of the order (with its refund).
        return self._can(request, "orders.cancel_order")

    @staticmethod
    def _can(request, permission):
        return request.user.has_perm(permission)

    @admin.display(description=_("carrier"), ordering="carrier")
    def carrier_label(self, shipment):
        return carriers.label(shipment.carrier) if shipment.carrier else "—"

    @admin.display(description=_("next step"))
    def work(self, shipment):
        if shipment.status == Shipment.Status.PICKING:
            url, label = reverse("admin:orders_shipment_pack", args=[shipment.pk]), _("Pack")
        elif shipment.status == Shipment.Status.PACKED:
            url, label = reverse("admin:orders_shipment_ship", args=[shipment.pk]), _("Ship")
        else:
            return ""
        return format_html('<a href="{}" class="button">{}</a>', url, label)

    # --- Pages ---

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("pick-lists/", view(self.pick_lists_view), name="orders_shipment_pick_lists"),
            path(
                "pick-lists/<int:warehouse_id>/",
                view(self.pick_list_view),
                name="orders_shipment_pick_list",
            ),
            path(
                "pick-lists/<int:warehouse_id>/waybills.pdf",
                view(self.pick_list_waybills_view),
                name="orders_shipment_pick_list_waybills",
            ),
            path(
                "<path:object_id>/waybill.pdf",
                view(self.waybill_view),
                name="orders_shipment_waybill",
            ),
            path("<path:object_id>/pack/", view(self.pack_view), name="orders_shipment_pack"),
            path("<path:object_id>/ship/", view(self.ship_view), name="orders_shipment_ship"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_pack": self._can(request, PACK),
            "can_ship": self._can(request, SHIP),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _page(self, request, template, **context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/orders/shipment/{template}",
            {**self.admin_site.each_context(request), "opts": self.model._meta, **context},
        )

    def _check_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def pick_lists_view(self, request):
        """The warehouses, each with its shipments waiting to be picked."""
        self._check_view(request)
        warehouses = Warehouse.objects.annotate(
            to_pick=Count("shipments", filter=Q(shipments__status=Shipment.Status.PICKING))
        ).order_by("-is_active", "code")
        return self._page(request, "pick_lists.html", title=_("Pick lists"), warehouses=warehouses)

    def pick_list_view(self, request, warehouse_id):
        """One warehouse's pick list, to print: the units per SKU for one walk through the
        shelves, then every shipment with its lines. A fixed number of queries."""
        self._check_view(request)
        warehouse = get_object_or_404(Warehouse, pk=warehouse_id)
        lines = list(fulfilment_selectors.pick_list(warehouse=warehouse))
        shipments = {}
        for line in lines:
            shipments.setdefault(line.shipment, []).append(line)
        return self._page(
            request,
            "pick_list.html",
            title=_("Pick list: %(warehouse)s") % {"warehouse": warehouse},
            warehouse=warehouse,
            totals=list(fulfilment_selectors.pick_totals(warehouse=warehouse)),
            shipments=list(shipments.items()),
            printed_at=timezone.now(),
            can_pack=self._can(request, PACK),
        )

    def _pdf(self, data: bytes, filename: str) -> HttpResponse:
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    def waybill_view(self, request, object_id):
        """One parcel's waybill (PDF with a Code 128 barcode). Warehouse staff only
        (``orders.pack_shipment``): a label carries the recipient's full address."""
        shipment = self._shipment_for(request, object_id, PACK)
        [found] = fulfilment_selectors.waybill_shipments(pks=[shipment.pk])
        return self._pdf(waybills.render_waybills([found]), f"waybill-{shipment.number}.pdf")

    def pick_list_waybills_view(self, request, warehouse_id):
        """The waybills of every parcel on a warehouse's pick list, one page each."""
        if not self._can(request, PACK):
            raise PermissionDenied
        warehouse = get_object_or_404(Warehouse, pk=warehouse_id)
        shipments = list(fulfilment_selectors.waybill_shipments(warehouse=warehouse))
        return self._pdf(waybills.render_waybills(shipments), f"waybills-{warehouse.code}.pdf")

    def _shipment_for(self, request, object_id, permission) -> Shipment:
        if not self._can(request, permission):
            raise PermissionDenied
        shipment = (
            Shipment.objects.select_related("order", "warehouse")
            .filter(pk=unquote(object_id))
            .first()
            if str(unquote(object_id)).isdigit()
            else None
        )
        if shipment is None:
            raise Http404
        return shipment

    def _done(self, request, shipment, message):
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:orders_shipment_change", args=[shipment.pk]))

    def pack_view(self, request, object_id):
        """The packing check: the shipment's lines, and a box for what was scanned."""
        shipment = self._shipment_for(request, object_id, PACK)
        form = PackingForm(request.POST if request.method == "POST" else None)
        problems = []
        if request.method == "POST" and form.is_valid():
            try:
                fulfilment.confirm_packing(
                    shipment=shipment,
                    items=form.cleaned_data["scans"],
                    actor=request.user,
                    condition=form.cleaned_data["condition"],
                )
            except fulfilment.PackingMismatch as error:
                problems = error.problems
            except (OrderError, IllegalTransition) as error:
                form.add_error(None, str(error))
            else:
                return self._done(
                    request,
                    shipment,
                    _("Shipment %(number)s is packed.") % {"number": shipment.number},
                )
        return self._page(
            request,
            "pack.html",
            title=_("Pack %(number)s") % {"number": shipment.number},
            object=shipment,
            lines=list(shipment.lines.select_related("order_line__sku").order_by("pk")),
            form=form,
            problems=problems,
            submit_label=_("Check and confirm packing"),
            media=self.media + form.media,
        )

    def ship_view(self, request, object_id):
        """Hand one packed shipment to a carrier chosen here."""
        shipment = self._shipment_for(request, object_id, SHIP)
        form = CarrierForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                shipment = fulfilment.ship(
                    shipment=shipment, carrier=form.cleaned_data["carrier"], actor=request.user
                )
            except (OrderError, IllegalTransition) as error:
                form.add_error(None, str(error))
            else:
                return self._done(
                    request,
                    shipment,
                    _("Shipment %(number)s handed to %(carrier)s: %(tracking)s.")
                    % {
                        "number": shipment.number,
                        "carrier": carriers.label(shipment.carrier),
                        "tracking": shipment.tracking_number,
                    },
                )
        return self._page(
            request,
            "ship.html",
            title=_("Ship %(number)s") % {"number": shipment.number},
            object=shipment,
            form=form,
            submit_label=_("Hand to the carrier"),
            media=self.media + form.media,
        )
