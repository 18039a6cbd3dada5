"""Read-only inlines shared by the admission admins: the history of a state machine."""

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.utils.translation import gettext_lazy as _

from mall.admin.readonly import ReadOnlyInline


class TransitionHistoryInline(ReadOnlyInline):
    """Every transition of the parent object (who, when, from, to, why), newest first.

    Nobody edits history; whoever may see the parent sees its history.
    """

    status_choices: dict = {}
    # The model's state machine: the "decision" column says its transition's label (in
    # the reader's language). ``action_labels`` overrides it for a transition name.
    machine = None
    action_labels: dict = {}
    fields = ("at", "action", "from_label", "to_label", "actor", "reason_shown")
    show_change_link = False
    verbose_name = _("decision")
    verbose_name_plural = _("history of decisions")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("-at", "-pk")

    def has_view_permission(self, request, obj=None):
        opts = self.parent_model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        )

    @admin.display(description=_("decision"))
    def action(self, obj):
        if obj.transition in self.action_labels:
            return self.action_labels[obj.transition]
        if self.machine is not None and obj.transition in self.machine.transitions:
            return self.machine[obj.transition].label
        return obj.transition.replace("_", " ")

    @admin.display(description=_("reason"))
    def reason_shown(self, obj):
        return obj.reason_text

    @admin.display(description=_("from"))
    def from_label(self, obj):
        return self.status_choices.get(obj.from_state, obj.from_state)

    @admin.display(description=_("to"))
    def to_label(self, obj):
        return self.status_choices.get(obj.to_state, obj.to_state)
