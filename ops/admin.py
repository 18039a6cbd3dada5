"""The back office's audit pages, for the security role: the audit trail (who did what,
searchable by person, object and time) and the row history of money, stock, prices and
staff flags (django-pghistory's events, each with its fields' differences). Both are
read-only here, and append-only in the database."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin

from mall.admin.readonly import ReadOnlyMixin

from .models import AuditEvent, Backup, Incident, RestoreDrill


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "target_type", "target_label", "address")
    list_filter = ("action", "target_type", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_label", "=actor__id", "action", "target_label", "=target_id")
    search_help_text = _("A person's sign-in, an action, an object's name or id")
    date_hierarchy = "at"
    fields = (
        "at",
        "actor_label",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "address",
        "details",
    )
    readonly_fields = fields

    @admin.display(description=_("details"))
    def details(self, event):
        changes = event.data.get("changes")
        if changes:
            rows = ((name, old, new) for name, (old, new) in changes.items())
            return format_html(
                "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
                _("field"),
                _("before"),
                _("after"),
                format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
            )
        return format_html("<pre>{}</pre>", event.data)


class RowHistoryAdmin(EventsAdmin):
    """pghistory's aggregate of every tracked table's events: the label (insert, update,
    delete), the row, its differences and the context (the request's user and URL).
    Registered for ``Events`` by the ``pghistory.admin`` app (PGHISTORY_ADMIN_CLASS)."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ops.view_row_history")

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(Backup)
class BackupAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("started_at", "status", "dump_bytes", "dump_path", "finished_at")
    list_filter = ("status",)
    date_hierarchy = "started_at"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), **_ages()})


@admin.register(RestoreDrill)
class RestoreDrillAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("started_at", "status", "backup", "finished_at", "error")
    list_filter = ("status",)
    date_hierarchy = "started_at"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), **_ages()})


def _ages() -> dict:
    from . import backups

    ages = backups.ages()

    def hours(seconds):
        return None if seconds is None else round(seconds / 3600, 1)

    return {
        "subtitle": _("Last good backup: %(backup)s h ago · last passed drill: %(drill)s h ago")
        % {
            # 0.0 is a backup made minutes ago: only "none yet" is a dash.
            "backup": _or_dash(hours(ages["backup_age_seconds"])),
            "drill": _or_dash(hours(ages["drill_age_seconds"])),
        }
    }


def _or_dash(value):
    return "—" if value is None else value


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents are written by people and kept: added and amended, never deleted (the
    audit trail keeps every amendment, field by field)."""

    list_display = ("started_at", "title", "severity", "ended_at", "recorded_by")
    list_filter = ("severity", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "impact", "cause", "follow_ups")
    date_hierarchy = "started_at"
    readonly_fields = ("recorded_by",)
    fieldsets = (
        (None, {"fields": ("title", "severity", "recorded_by")}),
        (_("When"), {"fields": ("started_at", "detected_at", "ended_at")}),
        (None, {"fields": ("impact", "actions", "cause", "follow_ups")}),
    )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False
