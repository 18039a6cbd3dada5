"""Shoppers' contact details in the admin through the one masking rule
(``mall.validators``): a ModelAdmin or inline names its contact fields in
``masked_contact_fields`` and staff without ``support.see_contact_details`` see those fields
masked, read-only, on lists, change pages and inlines alike. Searching still matches the
full value (a number typed in the search box finds the row)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mall import audit
from mall.validators import mask_email, mask_mobile, mask_street, may_see_contact_details

MASKS = {"mobile": mask_mobile, "email": mask_email, "street": mask_street}
LABELS = {"mobile": _("mobile number"), "email": _("email address"), "street": _("street")}


def _masked_display(field: str, kind: str):
    mask = MASKS[kind]

    @admin.display(description=LABELS[kind], ordering=field)
    def display(self, obj):
        value = getattr(obj, field, "")
        return mask(value) if value else "—"

    return display


class MaskedContactsMixin:
    """``masked_contact_fields = {"mobile": "mobile", "street": "street"}`` (field name ->
    kind of detail: mobile, email or street)."""

    masked_contact_fields: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for field, kind in cls.masked_contact_fields.items():
            setattr(cls, f"masked_{field}", _masked_display(field, kind))

    def _masks(self, request) -> bool:
        return bool(self.masked_contact_fields) and not may_see_contact_details(request.user)

    def _swap(self, names):
        return type(names)(
            self._swap(name)
            if isinstance(name, list | tuple)
            else f"masked_{name}"
            if name in self.masked_contact_fields
            else name
            for name in names
        )

    def get_list_display(self, request):
        names = super().get_list_display(request)
        return self._swap(names) if self._masks(request) else names

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # an add form holds nobody's details
            return fieldsets
        if not self._masks(request):
            seen = request.__dict__.setdefault("_mall_contacts_audited", set())
            if self.masked_contact_fields and (obj._meta.label, obj.pk) not in seen:
                seen.add((obj._meta.label, obj.pk))  # once per page, not per call
                audit.record("contact.view_unmasked", actor=request.user, target=obj, page="admin")
            return fieldsets
        return [
            (title, {**spec, "fields": self._swap(spec["fields"])}) for title, spec in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        if self._masks(request):
            names += [f"masked_{field}" for field in self.masked_contact_fields]
        return names

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        if obj is not None and self._masks(request):
            exclude += list(self.masked_contact_fields)
        return exclude or None
