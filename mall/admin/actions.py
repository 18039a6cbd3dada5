"""Admin actions that move objects through a state machine by calling a service.

Each selected object is tried on its own, in primary-key order (so row locks are taken in
one order): a refusal (a ``DomainError``, an illegal transition included) is reported as a
warning that names the action, the object by its name and every reason, and does not stop
the others. Actions that need a reason, or the fields of a
small form (a carrier to ship with, a case's resolution and cost), first show a
confirmation page with that form (templates/admin/mall/action_reason.html).
Actions never write models themselves; the service does, with its checks and history row.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from mall import second_factor
from mall.errors import DomainError
from mall.statemachine import Machine

# What an action reports as a refusal of one object (an illegal transition is one too);
# anything else is a bug and fails the request.
REFUSALS = (DomainError,)


@dataclass(frozen=True)
class ServiceAction:
    """One admin action: ``perform(obj, actor, reason)`` calls the service for one object.

    ``sources`` are the states in which the action makes sense; when the changelist is
    filtered to one state, only the actions possible from it are offered. ``reason_label``
    asks for a reason on a confirmation page first (required unless ``reason_required`` is
    false). ``form_class`` asks for that form's fields instead, and ``perform`` then gets
    its ``cleaned_data`` in place of the reason: ``perform(obj, actor, data)``.
    """

    name: str
    label: str
    done: str  # success message, with %(count)d
    perform: Callable
    # What the action is called inside a sentence ("list", "approve"), for its refusals
    # ("Could not list “…”: …"); the transition's label for a transition action.
    verb: str | None = None
    sources: frozenset[str] | None = None
    reason_label: str | None = None
    reason_required: bool = True
    # The admin permission the action needs ("change", or a custom one such as "review",
    # checked by the ModelAdmin's ``has_review_permission``), and the domain errors of
    # other apps that are refusals to report rather than failures.
    permission: str = "change"
    refusals: tuple[type[Exception], ...] = ()
    form_class: type[forms.Form] | None = None
    # The money the action pays out for one object (``payout(obj, data)``; ``data`` is the
    # form's cleaned data, ``None`` before the form is filled in). When the selection's sum
    # is above MALL_REAUTH_REFUND_ABOVE, the person enters their code again first unless
    # they did within MALL_REAUTH_MINUTES.
    payout: Callable | None = None

    def __post_init__(self):
        if self.form_class is not None and self.reason_label is not None:
            raise ValueError(f"Action {self.name!r}: a form_class or a reason_label, not both.")


def transition_action(machine: Machine, transition: str, **kwargs) -> ServiceAction:
    """An action for one transition: named after it, offered where the machine allows it."""
    kwargs.setdefault("verb", machine[transition].label)
    return ServiceAction(name=transition, sources=machine[transition].sources, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 70}))

    def __init__(self, *args, label, required, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].required = required


def describe_refusal(obj, error, verb=None) -> str:
    """A refusal as a person reads it: the action, the object by its name, every reason
    (an error listing ``problems`` gives them all, without repeating the object)."""
    problems = getattr(error, "problems", None)
    reason = "; ".join(str(p) for p in problems) if problems else str(error)
    if verb:
        return _("Could not %(action)s “%(object)s”: %(reason)s") % {
            "action": verb,
            "object": obj,
            "reason": reason,
        }
    return (
        reason
        if str(obj) in reason
        else _("“%(object)s”: %(reason)s")
        % {
            "object": obj,
            "reason": reason,
        }
    )


def perform_each(
    modeladmin, request, queryset, perform, *, done: str, refusals=(), verb=None
) -> int:
    """Call ``perform(obj)`` for every selected object and report; returns how many worked.
    Each refusal is a warning naming ``verb`` (the action) and the object."""
    succeeded = 0
    for obj in queryset.order_by("pk"):
        try:
            perform(obj)
        except (*REFUSALS, *refusals) as error:
            modeladmin.message_user(request, describe_refusal(obj, error, verb), messages.WARNING)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, done % {"count": succeeded}, messages.SUCCESS)
    return succeeded


def _confirmation_form(spec: ServiceAction, data=None) -> forms.Form:
    if spec.form_class is not None:
        return spec.form_class(data)
    return ReasonForm(data, label=spec.reason_label, required=spec.reason_required)


def _ask_for_the_code(spec: ServiceAction, request, queryset, data=None):
    """A redirect to the second factor when the action pays out much money and the code
    is not fresh; ``None`` when it may go ahead."""
    if spec.payout is None or second_factor.recently_verified(request):
        return None
    total = sum((spec.payout(obj, data) or 0 for obj in queryset), start=0)
    if not second_factor.large_payout(total):
        return None
    message = _("Enter your code again to refund more than ¥%(limit)s, then run the action again.")
    return second_factor.ask_again(
        request,
        message % {"limit": settings.MALL_REAUTH_REFUND_ABOVE},
        next_url=request.get_full_path(),
    )


def make_admin_action(spec: ServiceAction):
    def action(modeladmin, request, queryset):
        data = None
        if "apply" in request.POST and spec.form_class is not None:
            form = _confirmation_form(spec, request.POST)
            data = form.cleaned_data if form.is_valid() else None
        asked = _ask_for_the_code(spec, request, queryset, data)
        if asked is not None:
            return asked
        if spec.form_class is None and spec.reason_label is None:
            perform_each(
                modeladmin,
                request,
                queryset,
                lambda obj: spec.perform(obj, request.user, ""),
                done=spec.done,
                refusals=spec.refusals,
                verb=spec.verb,
            )
            return None
        if "apply" in request.POST:
            form = _confirmation_form(spec, request.POST)
            if form.is_valid():
                data = form.cleaned_data if spec.form_class else form.cleaned_data["reason"]
                perform_each(
                    modeladmin,
                    request,
                    queryset,
                    lambda obj: spec.perform(obj, request.user, data),
                    done=spec.done,
                    refusals=spec.refusals,
                    verb=spec.verb,
                )
                return None  # back to the changelist, with the messages
        else:
            form = _confirmation_form(spec)
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
        return TemplateResponse(request, "admin/mall/action_reason.html", context)

    action.__name__ = spec.name
    return admin.action(description=spec.label, permissions=[spec.permission])(action)


class ServiceActionsMixin:
    """ModelAdmin mixin: ``service_actions`` become admin actions, narrowed to those possible
    from the state the changelist is filtered to (``state_parameter``)."""

    service_actions: Iterable[ServiceAction] = ()
    state_parameter = "status__exact"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # goods and suppliers leave through transitions
        state = request.GET.get(self.state_parameter)
        for spec in self.service_actions:
            if state and spec.sources is not None and state not in spec.sources:
                actions.pop(spec.name, None)
        return actions
