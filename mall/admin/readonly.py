"""Admin pages and inlines for rows that change only through a service (stock, payments,
tickets, shipment lines, history): shown in the admin, never added, changed or deleted
there, a superuser's neither. Shared by every app's admin."""

from django.contrib import admin


class ReadOnlyMixin:
    """Mixed into a ``ModelAdmin`` or an inline: no adding, changing or deleting. Whoever
    may view the model still sees the rows (the change page shows them read-only)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """A table of the parent's rows with the columns named in ``fields``, all read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields
