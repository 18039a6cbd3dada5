"""Every admin add, change (with each field's old and new value) and delete goes to the
audit trail through ``mall.audit``: the admin site mixes this into every ModelAdmin it
registers, so no app has to remember to."""

from django.contrib.admin.utils import construct_change_message

from mall import audit

# Values never copied into the trail, whatever model they belong to.
SECRET_FIELDS = {"password"}


def _plain(value):
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, list | tuple | set) or (
        hasattr(value, "__iter__") and not isinstance(value, str | bytes | dict)
    ):
        return sorted(str(getattr(item, "pk", item)) for item in value)
    return None if value is None else str(value)


class AuditedAdminMixin:
    def construct_change_message(self, request, form, formsets, add=False):
        if not add and form is not None:
            changes = {
                name: [
                    "***" if name in SECRET_FIELDS else _plain(form.initial.get(name)),
                    "***" if name in SECRET_FIELDS else _plain(form.cleaned_data.get(name)),
                ]
                for name in form.changed_data
            }
            audit.record("admin.change", actor=request.user, target=form.instance, changes=changes)
        return construct_change_message(form, formsets, add)

    def log_addition(self, request, obj, message):
        audit.record("admin.add", actor=request.user, target=obj)
        return super().log_addition(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit.record("admin.delete", actor=request.user, target=obj)
        return super().log_deletions(request, queryset)
