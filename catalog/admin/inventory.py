"""Admin for inventory: warehouses, stock and the stock ledger, to look at only.

Stock changes only through ``catalog.services.inventory``, which writes a movement for
every change; nobody (a superuser neither) adds, edits or deletes stock rows or movements
here, or the ledger would stop summing to ``on_hand``.
"""

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from catalog.models import Stock, StockMovement, Warehouse


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    """Warehouses are set up by a superuser; the back-office roles only view them."""

    list_display = ("code", "name", "province", "city", "is_active")
    list_filter = ("is_active", "province")
    search_fields = ("code", "name", "city")


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ("sku", "warehouse", "on_hand", "reserved", "available_units")
    list_filter = ("warehouse",)
    list_select_related = ("sku__product", "warehouse")
    search_fields = ("sku__code", "sku__product__name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(available_units=F("on_hand") - F("reserved"))

    @admin.display(description=_("available"), ordering="available_units")
    def available_units(self, obj):
        return obj.available_units


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
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
