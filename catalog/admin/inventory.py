"""Admin for inventory: warehouses, stock, its ledger, reservations and discrepancies.

Stock changes only through ``catalog.services.inventory``, which writes a movement for
every change; nobody (a superuser neither) adds, edits or deletes stock rows, movements
or reservations here, or the ledger would stop summing to ``on_hand``. The pages that
change stock (adjust, transfer) and close a discrepancy (resolve) are forms that call a
service; the service's refusal comes back as a form error.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.exceptions import CatalogError, InsufficientStock
from catalog.models import Reservation, Stock, StockDiscrepancy, StockMovement, Warehouse
from catalog.services import inventory
from mall.admin.readonly import ReadOnlyMixin


def _refusal(error: CatalogError) -> str:
    if isinstance(error, InsufficientStock):
        # The service's message speaks to shoppers ("only 3 left"); here the units exist
        # but some are held for orders.
        return _(
            "Only %(available)s unit(s) are free in this stock; the others are reserved for orders."
        ) % {"available": error.available}
    return str(error)


def _form_page(modeladmin, request, obj, form, *, title, submit):
    """A form about one object, in the admin's frame (templates/admin/catalog/stock/)."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "submit_label": submit,
        "opts": opts,
        "object": obj,
        "form": form,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/catalog/stock/object_form.html", context)


def _run_service(request, form, call):
    """``call()`` when the form is valid; a refusal becomes a form error. True when done."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except CatalogError as error:
        form.add_error(None, _refusal(error))
        return False
    return True


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    """Warehouses are set up by a superuser; the back-office roles only view them."""

    list_display = ("code", "name", "province", "city", "is_active")
    list_filter = ("is_active", "province")
    search_fields = ("code", "name", "city")


# --- Stock -----------------------------------------------------------------------------------


class AdjustStockForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("change to on hand"),
        help_text=_("Signed: -3 takes three units away, 2 adds two."),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=200,
        help_text=_("Recorded with the movement: what was found, and where."),
    )

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("An adjustment must change the stock."))
        return quantity


class TransferStockForm(forms.Form):
    destination = forms.ModelChoiceField(label=_("to warehouse"), queryset=Warehouse.objects.none())
    quantity = forms.IntegerField(label=_("quantity"), min_value=1)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args, stock: Stock, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination"].queryset = Warehouse.objects.filter(is_active=True).exclude(
            pk=stock.warehouse_id
        )


@admin.register(Stock)
class StockAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("sku", "warehouse", "on_hand", "reserved", "available_units", "frozen")
    list_filter = ("warehouse", "frozen")
    list_select_related = ("sku__product", "warehouse")
    search_fields = ("sku__code", "sku__product__name")
    fields = (
        "sku",
        "warehouse",
        "on_hand",
        "reserved",
        "available_units",
        "frozen",
        "records",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("sku__product", "warehouse")
            .annotate(available_units=F("on_hand") - F("reserved"))
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/adjust/", view(self.adjust_view), name="catalog_stock_adjust"),
            path(
                "<path:object_id>/transfer/",
                view(self.transfer_view),
                name="catalog_stock_transfer",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("available"), ordering="available_units")
    def available_units(self, obj):
        return obj.available_units

    @admin.display(description=_("records"))
    def records(self, obj):
        movements = reverse("admin:catalog_stockmovement_changelist")
        reservations = reverse("admin:catalog_reservation_changelist")
        return format_html(
            '<a href="{}?stock__id__exact={}">{}</a> · <a href="{}?stock__id__exact={}">{}</a>',
            movements,
            obj.pk,
            _("movements"),
            reservations,
            obj.pk,
            _("reservations"),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = request.user
        extra_context = {
            **(extra_context or {}),
            "can_adjust": user.has_perm("catalog.adjust_stock"),
            "can_transfer": user.has_perm("catalog.transfer_stock"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _stock_for(self, request, object_id, permission):
        if not request.user.has_perm(permission):
            raise PermissionDenied
        stock = self.get_object(request, unquote(object_id))
        if stock is None:
            raise Http404
        return stock

    def _done(self, request, stock, message):
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalog_stock_change", args=[stock.pk]))

    def adjust_view(self, request, object_id):
        stock = self._stock_for(request, object_id, "catalog.adjust_stock")
        form = AdjustStockForm(request.POST if request.method == "POST" else None)

        def adjust(data):
            inventory.adjust_stock(
                stock=stock, quantity=data["quantity"], actor=request.user, reason=data["reason"]
            )

        if _run_service(request, form, adjust):
            return self._done(
                request,
                stock,
                _("Stock adjusted by %(quantity)+d.") % {"quantity": form.cleaned_data["quantity"]},
            )
        return _form_page(
            self, request, stock, form, title=_("Adjust stock"), submit=_("Book the adjustment")
        )

    def transfer_view(self, request, object_id):
        stock = self._stock_for(request, object_id, "catalog.transfer_stock")
        form = TransferStockForm(request.POST if request.method == "POST" else None, stock=stock)

        def transfer(data):
            inventory.transfer_stock(
                sku=stock.sku,
                source=stock.warehouse,
                destination=data["destination"],
                quantity=data["quantity"],
                actor=request.user,
                reason=data["reason"],
            )

        if _run_service(request, form, transfer):
            return self._done(
                request,
                stock,
                _("%(quantity)d unit(s) transferred to %(warehouse)s.")
                % {
                    "quantity": form.cleaned_data["quantity"],
                    "warehouse": form.cleaned_data["destination"],
                },
            )
        return _form_page(
            self, request, stock, form, title=_("Transfer stock"), submit=_("Transfer")
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "at",
        "stock",
        "kind",
        "quantity",
        "reserved_change",
        "reason",
        "reference",
        "actor",
    )
    list_filter = ("kind", "stock__warehouse")
    list_select_related = ("stock__sku__product", "stock__warehouse", "actor")
    search_fields = ("stock__sku__code", "reference", "reason")
    date_hierarchy = "at"
    ordering = ("-at", "-pk")


# --- Reservations ----------------------------------------------------------------------------


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Units held for orders; they open and close through the order services only."""

    list_display = (
        "status",
        "sku",
        "warehouse",
        "quantity",
        "reference",
        "expires_at",
        "created_at",
        "closed_at",
    )
    list_filter = ("status", "stock__warehouse", "expires_at")
    list_select_related = ("stock__sku__product", "stock__warehouse")
    search_fields = ("reference",)
    search_help_text = _("Order or case reference")
    date_hierarchy = "created_at"

    @admin.display(description=_("SKU"), ordering="stock__sku__code")
    def sku(self, obj):
        return obj.stock.sku

    @admin.display(description=_("warehouse"), ordering="stock__warehouse__code")
    def warehouse(self, obj):
        return obj.stock.warehouse


# --- Discrepancies ---------------------------------------------------------------------------


class ResolvedFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", pgettext_lazy("discrepancy", "Open")), ("resolved", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class ResolveDiscrepancyForm(forms.Form):
    resolution = forms.CharField(
        label=_("resolution"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 70}),
        help_text=_(
            "What caused it and what was done (for example, the adjustment that corrected "
            "the stock). Resolving changes no stock."
        ),
    )
    book_difference = forms.BooleanField(
        label=_("book the difference in the ledger"),
        required=False,
        help_text=_(
            "Tick when the stock row is right and a change went unrecorded: the missing "
            "movement is written so the ledger adds up again. Stock levels do not change."
        ),
    )


@admin.register(StockDiscrepancy)
class StockDiscrepancyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Drift found by the reconciliation job. Open findings first; a person closes one by
    explaining it (``resolve_discrepancy``); the row stays for history."""

    list_display = (
        "sku",
        "warehouse",
        "kind",
        "expected",
        "actual",
        "difference",
        "detected_at",
        "last_seen_at",
        "resolved",
        "resolve_link",
    )
    list_filter = (ResolvedFilter, "kind", "stock__warehouse")
    list_select_related = ("stock__sku__product", "stock__warehouse")
    search_fields = ("stock__sku__code", "resolution")
    ordering = (F("resolved_at").desc(nulls_first=True), "-last_seen_at", "-pk")
    fields = (
        "stock",
        "kind",
        "expected",
        "actual",
        "difference",
        "detected_at",
        "last_seen_at",
        "resolved_at",
        "resolved_by",
        "resolution",
        "resolve_link",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("stock__sku__product", "stock__warehouse", "resolved_by")
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="catalog_stockdiscrepancy_resolve",
            ),
            *super().get_urls(),
        ]

    # The "Resolve" button only for those who may resolve (the warehouse role views).
    def get_list_display(self, request):
        return self._with_resolve(request, self.list_display)

    def get_fields(self, request, obj=None):
        return self._with_resolve(request, self.fields)

    def get_readonly_fields(self, request, obj=None):
        return self._with_resolve(request, self.readonly_fields)

    @staticmethod
    def _with_resolve(request, names):
        if request.user.has_perm("catalog.change_stockdiscrepancy"):
            return names
        return tuple(name for name in names if name != "resolve_link")

    @admin.display(description=_("SKU"), ordering="stock__sku__code")
    def sku(self, obj):
        return obj.stock.sku

    @admin.display(description=_("warehouse"), ordering="stock__warehouse__code")
    def warehouse(self, obj):
        return obj.stock.warehouse

    @admin.display(description=_("difference"))
    def difference(self, obj):
        return f"{obj.difference:+d}"

    @admin.display(description=_("resolved"), boolean=True, ordering="resolved_at")
    def resolved(self, obj):
        return obj.resolved_at is not None

    @admin.display(description="")
    def resolve_link(self, obj):
        if obj.resolved_at is not None:
            return ""
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:catalog_stockdiscrepancy_resolve", args=[obj.pk]),
            _("Resolve"),
        )

    def resolve_view(self, request, object_id):
        if not request.user.has_perm("catalog.change_stockdiscrepancy"):
            raise PermissionDenied
        discrepancy = self.get_object(request, unquote(object_id))
        if discrepancy is None:
            raise Http404
        form = ResolveDiscrepancyForm(request.POST if request.method == "POST" else None)

        def resolve(data):
            inventory.resolve_discrepancy(
                discrepancy=discrepancy,
                actor=request.user,
                resolution=data["resolution"],
                book_difference=data["book_difference"],
            )

        if _run_service(request, form, resolve):
            self.message_user(request, _("The discrepancy is resolved."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:catalog_stockdiscrepancy_changelist"))
        return _form_page(
            self,
            request,
            discrepancy,
            form,
            title=_("Resolve a stock discrepancy"),
            submit=_("Resolve"),
        )
