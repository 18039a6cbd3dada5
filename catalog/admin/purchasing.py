"""Admin for purchase receipts: warehouse staff and operators book deliveries here.

The add form is validated with the service's own checks (``receipt_problems``), so every
problem shows on the form, and saved through ``book_purchase_receipt``: the admin writes
no row itself, and a refusal writes nothing. Receipts are read-only afterwards (never
changed or deleted; a correction is a stock adjustment with a reason).

The add form can be pre-filled from the replenishment report:
``?supplier=<id>&warehouse=<id>&lines=<sku id>:<quantity>[:<unit cost>],...``.
"""

from decimal import InvalidOperation

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, F, Sum
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import ReceiptRefused
from catalog.models import PurchaseReceipt, PurchaseReceiptLine, Supplier, Warehouse
from catalog.services.purchasing import book_purchase_receipt, receipt_problems
from mall.money import to_money

MAX_PREFILLED_LINES = 200
_MONEY = DecimalField(max_digits=18, decimal_places=2)


def prefilled_lines(request) -> list[dict]:
    """Initial lines from ``?lines=<sku id>:<quantity>[:<unit cost>],...`` (the last
    cost paid, as a suggestion); malformed entries are skipped."""
    lines = []
    for entry in request.GET.get("lines", "").split(",")[:MAX_PREFILLED_LINES]:
        sku, _sep, rest = entry.partition(":")
        quantity, _sep, cost = rest.partition(":")
        if not (sku.isdigit() and quantity.isdigit()):
            continue
        line = {"sku": int(sku), "quantity": int(quantity)}
        try:
            line["unit_cost"] = to_money(cost) if cost else None
        except (InvalidOperation, ValueError):
            line["unit_cost"] = None
        lines.append({k: v for k, v in line.items() if v is not None})
    return lines


class ReceiptLineFormSet(BaseInlineFormSet):
    def lines(self) -> list[tuple]:
        """(sku, quantity, unit_cost) of every filled-in line, in the order shown."""
        return [
            (
                form.cleaned_data["sku"],
                form.cleaned_data["quantity"],
                form.cleaned_data["unit_cost"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def validate_unique(self):
        """The service refuses a SKU on two lines, with a message that says which."""

    def clean(self):
        super().clean()
        receipt = self.instance
        if any(self.errors) or receipt.supplier_id is None or receipt.warehouse_id is None:
            return  # the field errors (or the receipt form's) come first
        problems = receipt_problems(
            supplier=receipt.supplier, warehouse=receipt.warehouse, lines=self.lines()
        )
        if problems:
            raise ValidationError(problems)


class PurchaseReceiptLineInline(admin.TabularInline):
    model = PurchaseReceiptLine
    formset = ReceiptLineFormSet
    fields = ("sku", "quantity", "unit_cost")
    autocomplete_fields = ("sku",)
    extra = 3

    def get_queryset(self, request):
        # Each line shows its SKU by the product's name: one join, not a query per line.
        return super().get_queryset(request).select_related("sku__product")

    def get_extra(self, request, obj=None, **kwargs):
        if obj is not None:
            return 0
        return max(self.extra, len(prefilled_lines(request)))

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PurchaseReceipt)
class PurchaseReceiptAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "supplier",
        "warehouse",
        "delivery_note",
        "received_at",
        "received_by",
        "line_count",
        "units",
        "value",
    )
    list_filter = ("warehouse", "supplier", "received_at")
    list_select_related = ("supplier", "warehouse", "received_by")
    search_fields = ("delivery_note", "note", "supplier__name", "lines__sku__code")
    date_hierarchy = "received_at"
    fields = ("supplier", "warehouse", "delivery_note", "note")
    readonly_fields = ("received_by", "received_at", "units", "value")
    inlines = [PurchaseReceiptLineInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                line_total=Count("lines"),
                unit_total=Sum("lines__quantity"),
                value_total=Sum(F("lines__quantity") * F("lines__unit_cost"), output_field=_MONEY),
            )
        )

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else (*self.fields, *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only what can be booked is offered; the service checks again when it books.
        if db_field.name == "supplier":
            kwargs["queryset"] = Supplier.objects.filter(status=Supplier.Status.APPROVED)
        elif db_field.name == "warehouse":
            kwargs["queryset"] = Warehouse.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and (obj is None or obj.pk is None):
            kwargs["initial"] = prefilled_lines(request)
        return kwargs

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing yet: the receipt is booked with its lines in ``save_related``."""

    def save_related(self, request, form, formsets, change):
        draft = form.instance
        (lines_formset,) = formsets
        receipt = book_purchase_receipt(
            supplier=draft.supplier,
            warehouse=draft.warehouse,
            lines=lines_formset.lines(),
            actor=request.user,
            delivery_note=draft.delivery_note,
            note=draft.note,
        )
        # The admin goes on with the form's object (history entry, redirect): make it
        # the booked receipt.
        draft.pk, draft.received_by, draft.received_at = (
            receipt.pk,
            receipt.received_by,
            receipt.received_at,
        )
        lines_formset.new_objects = list(receipt.lines.all())
        lines_formset.changed_objects, lines_formset.deleted_objects = [], []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ReceiptRefused as refused:
            # Only when something changed between the form's checks and the booking
            # (a supplier suspended meanwhile): the transaction is rolled back.
            self.message_user(request, str(refused), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("lines"), ordering="line_total")
    def line_count(self, obj):
        return obj.line_total

    @admin.display(description=_("units"), ordering="unit_total")
    def units(self, obj):
        return obj.unit_total or 0

    @admin.display(description=_("value at cost"), ordering="value_total")
    def value(self, obj):
        return obj.value_total if obj.value_total is not None else "—"
