"""Operators' view of orders: filters, search by order number or phone, the lines and
the timeline. Read-only for now: orders change only through their services (payments,
review and fulfilment actions come with the payments and fulfilment work)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.admin.history import TransitionHistoryInline

from ..models import Order, OrderLine, OrderStatusChange


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ("product_name", "sku_code", "sku_label", "unit_price", "quantity", "line_total")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderTimelineInline(TransitionHistoryInline):
    model = OrderStatusChange
    status_choices = dict(Order.Status.choices)
    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "user",
        "status",
        "total",
        "recipient",
        "mobile",
        "province",
        "placed_at",
        "pay_by",
    )
    list_filter = ("status", "shipping_method", "placed_at")
    list_select_related = ("user",)
    search_fields = ("=number", "=mobile", "user__phone", "user__email")
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline, OrderTimelineInline]
    fieldsets = (
        (None, {"fields": ("number", "user", "status", "placed_at", "pay_by")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "recipient",
                    "mobile",
                    "province",
                    "city",
                    "district",
                    "street",
                    "postal_code",
                    "shipping_method",
                )
            },
        ),
        (
            _("Amounts"),
            {"fields": ("goods_total", "shipping_fee", "discount_total", "total")},
        ),
        (_("Invoice"), {"fields": ("invoice_title", "tax_number")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
