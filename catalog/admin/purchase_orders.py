"""Admin for purchase orders: operators draft them (from the replenishment suggestions:
the add page with ``?supplier=<id>&warehouse=<id>`` and no lines typed, linked from the
replenishment report; or by hand) and send them; a
supplier's own users see only their supplier's orders, from "sent" on, and confirm or
amend them; the warehouse receives against them. Every step calls
``catalog.services.purchase_orders``; nothing here writes a row itself.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import CatalogError
from catalog.models import (
    PURCHASE_ORDER_MACHINE,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatusChange,
    ReceiptDifference,
    SkuCost,
    Supplier,
    Warehouse,
)
from catalog.services import purchase_orders as po
from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.history import TransitionHistoryInline
from mall.admin.readonly import ReadOnlyInline
from mall.statemachine import IllegalTransition

RECEIVE = "catalog.receive_purchaseorder"
CONFIRM = "catalog.confirm_purchaseorder"


class PurchaseOrderLineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = ("sku", "quantity", "unit_cost", "received", "damaged", "outstanding")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku__product")

    @admin.display(description=_("outstanding"))
    def outstanding(self, line):
        return line.outstanding


class PurchaseOrderHistoryInline(TransitionHistoryInline):
    model = PurchaseOrderStatusChange
    status_choices = dict(PurchaseOrder.Status.choices)
    machine = PURCHASE_ORDER_MACHINE
    action_labels = {
        "draft": _("draft the order"),
        **{name: step.label for name, step in PURCHASE_ORDER_MACHINE.transitions.items()},
    }


def _reason_action(name, label, done, perform, reason_label, permission="change"):
    return transition_action(
        PURCHASE_ORDER_MACHINE,
        name,
        label=label,
        done=done,
        perform=perform,
        reason_label=reason_label,
        permission=permission,
    )


ACTIONS = [
    transition_action(
        PURCHASE_ORDER_MACHINE,
        "send",
        label=_("Send to the supplier"),
        done=_("%(count)d purchase order(s) sent."),
        perform=lambda order, actor, _r: po.send_purchase_order(order=order, actor=actor),
        permission="send",
    ),
    transition_action(
        PURCHASE_ORDER_MACHINE,
        "confirm",
        label=_("Confirm as it stands"),
        done=_("%(count)d purchase order(s) confirmed."),
        perform=lambda order, actor, note: po.confirm_purchase_order(
            order=order, actor=actor, note=note
        ),
        reason_label=_("Note (optional)"),
        reason_required=False,
        permission="confirm",
    ),
    transition_action(
        PURCHASE_ORDER_MACHINE,
        "accept_amendment",
        label=_("Accept the supplier's amendment"),
        done=_("%(count)d amendment(s) accepted."),
        perform=lambda order, actor, _r: po.accept_amendment(order=order, actor=actor),
        permission="send",
    ),
    _reason_action(
        "close_short",
        _("Close short (no more will come)"),
        _("%(count)d purchase order(s) closed short."),
        lambda order, actor, reason: po.close_purchase_order_short(
            order=order, actor=actor, reason=reason
        ),
        _("Why no more will come"),
        permission="receive",
    ),
    _reason_action(
        "cancel",
        _("Cancel"),
        _("%(count)d purchase order(s) cancelled."),
        lambda order, actor, reason: po.cancel_purchase_order(
            order=order, actor=actor, reason=reason
        ),
        _("Reason"),
        permission="send",
    ),
]


class NewPurchaseOrderForm(forms.Form):
    supplier = forms.ModelChoiceField(
        queryset=Supplier.objects.filter(status=Supplier.Status.APPROVED), label=_("supplier")
    )
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.filter(is_active=True), label=_("deliver to")
    )
    expected_date = forms.DateField(label=_("expected delivery date"), required=False)
    lines = forms.CharField(
        label=_("lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 50}),
        help_text=_(
            "One line per SKU: its code, the units and the agreed unit cost (“LJ-250 40 "
            "120.00”). Leave empty to take the supplier's low-stock suggestions."
        ),
    )


def _line_form(order: PurchaseOrder, *, amend: bool, data=None) -> forms.Form:
    """A form with two number fields per line: (arrived, damaged) to receive, (quantity,
    agreed unit cost) to amend."""
    form = forms.Form(data)
    for line in order.lines.select_related("sku__product").order_by("pk"):
        name = f"{line.sku.code} {line.sku.product.name}"
        if amend:
            form.fields[f"q{line.pk}"] = forms.IntegerField(
                label=_("%(sku)s: units") % {"sku": name}, min_value=1, initial=line.quantity
            )
            form.fields[f"c{line.pk}"] = forms.DecimalField(
                label=_("%(sku)s: unit cost") % {"sku": name},
                min_value=0,
                max_digits=12,
                decimal_places=2,
                initial=line.unit_cost,
            )
        else:
            form.fields[f"a{line.pk}"] = forms.IntegerField(
                label=_("%(sku)s: units arrived (%(open)s outstanding)")
                % {"sku": name, "open": line.outstanding},
                min_value=0,
                initial=0,
            )
            form.fields[f"d{line.pk}"] = forms.IntegerField(
                label=_("%(sku)s: of which damaged") % {"sku": name}, min_value=0, initial=0
            )
    if amend:
        form.fields["expected_date"] = forms.DateField(
            label=_("expected delivery date"), initial=order.expected_date
        )
        form.fields["reason"] = forms.CharField(label=_("why the order changes"), max_length=150)
    else:
        form.fields["delivery_note"] = forms.CharField(
            label=_("delivery note number"), max_length=60, required=False
        )
        form.fields["final"] = forms.BooleanField(
            label=_("this is the last delivery: record what is missing as short"),
            required=False,
        )
    return form


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "supplier",
        "warehouse",
        "status",
        "expected_date",
        "units",
        "from_suggestion",
        "created_at",
    )
    list_filter = ("status", "warehouse", "supplier", "from_suggestion")
    list_select_related = ("supplier", "warehouse")
    search_fields = ("=number", "supplier__name", "lines__sku__code")
    date_hierarchy = "created_at"
    inlines = [PurchaseOrderLineInline, PurchaseOrderHistoryInline]
    service_actions = ACTIONS
    actions = [make_admin_action(spec) for spec in ACTIONS]
    change_form_template = "admin/catalog/purchaseorder/change_form.html"
    fields = (
        "number",
        "supplier",
        "warehouse",
        "expected_date",
        "status",
        "from_suggestion",
        "note",
        "created_by",
        "created_at",
        "differences",
    )
    readonly_fields = fields

    # --- Who sees what ---

    def get_queryset(self, request):
        orders = super().get_queryset(request).annotate(unit_total=Sum("lines__quantity"))
        if self._is_supplier(request):
            # A supplier's user: its own supplier's orders, once they were sent.
            orders = orders.filter(supplier=po.supplier_of(request.user)).exclude(
                status=PurchaseOrder.Status.DRAFT
            )
        return orders

    @staticmethod
    def _is_supplier(request):
        from mall.roles import SUPPLIER, has_role

        return has_role(request.user, SUPPLIER) and not request.user.is_superuser

    def get_list_filter(self, request):
        if self._is_supplier(request):
            return ("status",)
        return self.list_filter

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not self._is_supplier(request)

    def has_change_permission(self, request, obj=None):
        # "Change" is acting through the actions and pages; every field stays read-only.
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request):
        return request.user.has_perm("catalog.send_purchaseorder")

    def has_confirm_permission(self, request):
        return request.user.has_perm(CONFIRM)

    def has_receive_permission(self, request):
        return request.user.has_perm(RECEIVE)

    # --- Columns ---

    @admin.display(description=_("units"), ordering="unit_total")
    def units(self, order):
        return order.unit_total or 0

    @admin.display(description=_("differences on receiving"))
    def differences(self, order):
        found = ReceiptDifference.objects.filter(line__order=order).select_related("line__sku")
        return (
            "; ".join(f"{d.line.sku.code}: {d.get_kind_display()} {d.quantity}" for d in found)
            or "—"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_receive": order is not None
            and order.status in ("confirmed", "partly_received")
            and request.user.has_perm(RECEIVE),
            "can_amend": order is not None
            and order.status == "sent"
            and request.user.has_perm(CONFIRM),
            # Every field is read-only: the order changes through the actions and pages.
            "show_save": False,
            "show_save_and_continue": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Pages ---

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/receive/",
                view(self.receive_view),
                name=("catalog_purchaseorder_receive"),
            ),
            path(
                "<path:object_id>/amend/",
                view(self.amend_view),
                name=("catalog_purchaseorder_amend"),
            ),
            *super().get_urls(),
        ]

    def _order_for(self, request, object_id, permission) -> PurchaseOrder:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        order = (
            self.get_queryset(request).filter(pk=unquote(object_id)).first()
            if str(unquote(object_id)).isdigit()
            else None
        )
        if order is None:
            raise Http404  # another supplier's order is not found, not forbidden
        return order

    def _page(self, request, template, **context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/catalog/purchaseorder/{template}",
            {**self.admin_site.each_context(request), "opts": self.model._meta, **context},
        )

    def _done(self, request, order, message):
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalog_purchaseorder_change", args=[order.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        """A new order by hand (lines typed) or from the supplier's suggestions."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = NewPurchaseOrderForm(
            request.POST if request.method == "POST" else None,
            initial={
                "supplier": request.GET.get("supplier"),
                "warehouse": request.GET.get("warehouse"),
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                order = self._create(request, data)
            except CatalogError as error:
                form.add_error(None, str(error))
            else:
                return self._done(
                    request, order, _("Purchase order %(number)s drafted.") % {"number": order}
                )
        return self._page(
            request,
            "form.html",
            title=_("Draft a purchase order"),
            form=form,
            object=None,
            lines=[],
            submit_label=_("Draft the order"),
            media=self.media + form.media,
        )

    def _create(self, request, data):
        if not data["lines"].strip():
            return po.create_from_suggestions(
                supplier=data["supplier"],
                warehouse=data["warehouse"],
                actor=request.user,
                expected_date=data["expected_date"],
            )
        from catalog.models import SKU

        lines, unreadable = [], []
        for number, text in enumerate(data["lines"].splitlines(), start=1):
            parts = text.split()
            if not parts:
                continue
            sku = SKU.objects.filter(code__iexact=parts[0]).first() if parts else None
            if len(parts) != 3 or not parts[1].isdigit() or sku is None:
                unreadable.append(str(number))
                continue
            lines.append((sku, int(parts[1]), parts[2]))
        if unreadable:
            raise po.PurchaseOrderRefused(
                [_("cannot read line(s) %(lines)s") % {"lines": ", ".join(unreadable)}]
            )
        return po.create_purchase_order(
            supplier=data["supplier"],
            warehouse=data["warehouse"],
            lines=lines,
            expected_date=data["expected_date"] or timezone.localdate(),
            actor=request.user,
        )

    def receive_view(self, request, object_id):
        order = self._order_for(request, object_id, RECEIVE)
        form = _line_form(order, amend=False, data=request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            counts = {
                line.pk: (data[f"a{line.pk}"], data[f"d{line.pk}"]) for line in order.lines.all()
            }
            try:
                po.receive_purchase_order(
                    order=order,
                    actor=request.user,
                    counts={pk: c for pk, c in counts.items() if c[0] or c[1]},
                    delivery_note=data["delivery_note"],
                    final=data["final"],
                )
            except (CatalogError, IllegalTransition) as error:
                form.add_error(None, str(error))
            else:
                return self._done(
                    request, order, _("Delivery for %(number)s received.") % {"number": order}
                )
        return self._page(
            request,
            "form.html",
            title=_("Receive %(number)s") % {"number": order},
            form=form,
            object=order,
            lines=self._lines(order),
            submit_label=_("Book the delivery"),
            media=self.media + form.media,
        )

    def amend_view(self, request, object_id):
        order = self._order_for(request, object_id, CONFIRM)
        form = _line_form(order, amend=True, data=request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            changes = {
                line.pk: (data[f"q{line.pk}"], data[f"c{line.pk}"]) for line in order.lines.all()
            }
            try:
                po.amend_purchase_order(
                    order=order,
                    actor=request.user,
                    changes=changes,
                    reason=data["reason"],
                    expected_date=data["expected_date"],
                )
            except (CatalogError, IllegalTransition) as error:
                form.add_error(None, str(error))
            else:
                return self._done(
                    request, order, _("Amendment to %(number)s sent.") % {"number": order}
                )
        return self._page(
            request,
            "form.html",
            title=_("Amend %(number)s") % {"number": order},
            form=form,
            object=order,
            lines=self._lines(order),
            submit_label=_("Send the amendment"),
            media=self.media + form.media,
        )

    @staticmethod
    def _lines(order):
        costs = dict(
            SkuCost.objects.filter(sku__in=order.lines.values("sku")).values_list(
                "sku_id", "average"
            )
        )
        lines = list(order.lines.select_related("sku__product").order_by("pk"))
        for line in lines:
            line.average_cost = costs.get(line.sku_id)
        return lines
