"""The admin side of four eyes (``mall.approval``), shared by prices, promotions, goods
and suppliers: the second person's queue and the decisions as buttons on the object's
own page.

``AwaitingMyApprovalFilter`` lists what waits for a decision and was not asked for by
the person looking. ``DecisionButtonsMixin`` shows the ``decision_actions`` (names of
the ModelAdmin's service actions, see ``mall.admin.actions``) that are possible from the
object's state as buttons on its change page; a button runs the same action on that one
object, with the same confirmation page when it needs a reason, the same warnings when a
service refuses, and comes back to the object.
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mall.approval import asked_by


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    """What waits for a decision (``pending_state``) and was not asked for by the viewer
    (``asked_by_field``: a field or an annotation holding who asked)."""

    title = _("approval")
    parameter_name = "approval"
    pending_state: str = ""
    state_field = "status"
    asked_by_field = "requested_by"
    # Or who asked is the person of the latest such transition in a history model:
    # (history model, transition name).
    asked_by_history: tuple | None = None

    def lookups(self, request, model_admin):
        return [("mine", _("awaiting my approval"))]

    def queryset(self, request, queryset):
        if self.value() != "mine":
            return queryset
        field = self.asked_by_field
        if self.asked_by_history is not None:
            field = "asked_by_id"
            queryset = queryset.annotate(asked_by_id=asked_by(*self.asked_by_history))
        return queryset.filter(**{self.state_field: self.pending_state}).exclude(
            **{field: request.user.pk}
        )


class DecisionButtonsMixin:
    """ModelAdmin mixin: the decisions of ``decision_actions`` as buttons on the change
    page (needs ``ServiceActionsMixin``'s ``service_actions``)."""

    decision_actions: tuple[str, ...] = ("approve", "reject")
    # The decisions the person who asked may not take (four eyes): not offered to them.
    four_eyes_decisions: tuple[str, ...] = ("approve", "reject")
    change_form_template = "admin/mall/change_form_decisions.html"

    def asked_by_id_of(self, obj) -> int | None:
        """Who asked for the decision on ``obj`` (None: nobody in particular)."""
        return None

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/decide/<str:name>/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{opts.app_label}_{opts.model_name}_decide",
            ),
            *super().get_urls(),
        ]

    def decisions_for(self, request, obj) -> list[dict]:
        """The buttons ``request.user`` gets on ``obj``'s page: possible from its state
        and allowed by the action's permission."""
        if obj is None:
            return []
        offered = self.get_actions(request)
        opts = self.model._meta
        buttons = []
        asked_by_me = self.asked_by_id_of(obj) == request.user.pk
        for spec in self.service_actions:
            if spec.name not in self.decision_actions or spec.name not in offered:
                continue
            if asked_by_me and spec.name in self.four_eyes_decisions:
                continue
            if spec.sources is not None and getattr(obj, self.state_field_name) not in spec.sources:
                continue
            buttons.append(
                {
                    "name": spec.name,
                    "label": spec.label,
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_decide", args=[obj.pk, spec.name]
                    ),
                }
            )
        return buttons

    state_field_name = "status"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["decisions"] = self.decisions_for(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def decide_view(self, request, object_id, name):
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        page = reverse(
            f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change",
            args=[obj.pk],
        )
        offered = self.get_actions(request)
        if request.method != "POST" or name not in self.decision_actions or name not in offered:
            return HttpResponseRedirect(page)
        action = offered[name][0]
        response = action(self, request, self.model._default_manager.filter(pk=obj.pk))
        # None: done (or refused, with a warning); otherwise the page asking for a reason.
        return response if response is not None else HttpResponseRedirect(page)
