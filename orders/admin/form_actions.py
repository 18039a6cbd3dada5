"""Admin actions that call a service with the fields of a small form (a carrier to ship
with; a case's resolution, cost and claim), in the shape of ``catalog.admin.actions``'
``ServiceAction``: the same confirmation page (templates/admin/catalog/action_reason.html
renders any form), the same per-object refusals (``perform_each``), the same narrowing
to the states the changelist is filtered to (``ServiceActionsMixin``)."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from catalog.admin.actions import perform_each


@dataclass(frozen=True)
class FormAction:
    """``perform(obj, actor, cleaned_data)`` calls the service for one object."""

    name: str
    label: str
    done: str  # success message, with %(count)d
    perform: Callable
    form_class: type[forms.Form]
    sources: frozenset[str] | None = None
    permission: str = "change"
    refusals: tuple[type[Exception], ...] = ()


def make_form_action(spec: FormAction):
    def action(modeladmin, request, queryset):
        if "apply" in request.POST:
            form = spec.form_class(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                perform_each(
                    modeladmin,
                    request,
                    queryset,
                    lambda obj: spec.perform(obj, request.user, data),
                    done=spec.done,
                    refusals=spec.refusals,
                )
                return None  # back to the changelist, with the messages
        else:
            form = spec.form_class()
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": spec.label,
            "opts": modeladmin.model._meta,
            "objects": list(queryset.order_by("pk")),
            "form": form,
            "action_name": spec.name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media + form.media,
        }
        request.current_app = modeladmin.admin_site.name
        return TemplateResponse(request, "admin/catalog/action_reason.html", context)

    action.__name__ = spec.name
    return admin.action(description=spec.label, permissions=[spec.permission])(action)
