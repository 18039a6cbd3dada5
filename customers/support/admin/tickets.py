"""Tickets in the admin: read-only, for the back office (operators and analysts read them
for the feedback report; agents work them in /support/, never here). Service targets are
edited by supervisors in /support/targets/; the admin page is for superusers."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.support.models import (
    TICKET_MACHINE,
    ServiceTarget,
    Ticket,
    TicketMessage,
    TicketStatusChange,
)
from mall.admin.history import TransitionHistoryInline
from mall.admin.readonly import ReadOnlyMixin
from mall.validators import mask_mobile


class TicketMessageInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketMessage
    fields = ("created_at", "author", "internal", "body")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class TicketTimelineInline(TransitionHistoryInline):
    model = TicketStatusChange
    status_choices = dict(Ticket.Status.choices)
    machine = TICKET_MACHINE


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "subject",
        "type",
        "category",
        "status",
        "priority",
        "channel",
        "shopper_label",
        "assignee",
        "created_at",
        "rating",
    )
    list_filter = ("type", "category", "status", "priority", "channel", "created_at")
    search_fields = ("number", "subject", "order__number")
    date_hierarchy = "created_at"
    list_select_related = ("shopper", "assignee")
    readonly_fields = [field.name for field in Ticket._meta.fields if field.name != "shopper"] + [
        "shopper_label"
    ]
    exclude = ("shopper",)
    inlines = [TicketMessageInline, TicketTimelineInline]

    def get_queryset(self, request):
        # The change page shows every link of the ticket: one query for all of them.
        return (
            super()
            .get_queryset(request)
            .select_related("shopper", "assignee", "order", "product", "after_sales_case")
        )

    @admin.display(description=_("shopper"), ordering="shopper__display_name")
    def shopper_label(self, obj):
        shopper = obj.shopper
        return shopper.display_name or (mask_mobile(shopper.phone) if shopper.phone else "—")


@admin.register(ServiceTarget)
class ServiceTargetAdmin(admin.ModelAdmin):
    list_display = ("type", "priority", "first_response_minutes", "resolution_minutes")
    list_filter = ("type", "priority")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
