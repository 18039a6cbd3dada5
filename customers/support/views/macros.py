"""The ticket view's macros and tags: apply a macro to a ticket, set a ticket's tags, and
the queue's bulk actions (assign to me, add a tag, change priority) on the tickets
ticked."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mall.statemachine import IllegalTransition

from ..forms.macros import BulkForm, MacroForm, TagsForm
from ..models import Ticket
from ..services import macros, tickets
from ..services.tickets import TicketError
from .workspace import _back, _form_errors, _plain_ticket, agents_only


@agents_only
@require_POST
def apply_macro(request, number):
    ticket = _plain_ticket(number)
    form = MacroForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(number)
    macro = form.cleaned_data["macro"]
    try:
        macros.apply_macro(ticket=ticket, macro=macro, actor=request.user)
    except (TicketError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Macro “%(name)s” applied to %(number)s.")
            % {"name": macro.name, "number": ticket.number},
        )
    return _back(number)


@agents_only
@require_POST
def set_tags(request, number):
    ticket = _plain_ticket(number)
    form = TagsForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(number)
    try:
        macros.set_tags(ticket=ticket, actor=request.user, tags=form.cleaned_data["tags"])
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The tags of %(number)s are saved.") % {"number": number})
    return _back(number)


@agents_only
@require_POST
def bulk(request):
    """One action on every ticked ticket; each ticket is its own transaction, so one
    refusal does not undo the others, and every refusal is listed."""
    form = BulkForm(request.POST)
    back = redirect(reverse("support:queue") + "?" + form.data.get("back", "")[:1000])
    if not form.is_valid():
        _form_errors(request, form)
        return back
    data = form.cleaned_data
    done, refused = 0, []
    for ticket in Ticket.objects.filter(number__in=data["tickets"]).order_by("pk"):
        try:
            _bulk_one(ticket, request.user, data)
        except (TicketError, IllegalTransition, PermissionDenied) as error:
            refused.append(f"{ticket.number}: {error or _('not allowed')}")
        else:
            done += 1
    if done:
        messages.success(request, _("%(count)s tickets changed.") % {"count": done})
    for problem in refused:
        messages.warning(request, problem)
    return back


def _bulk_one(ticket, actor, data) -> None:
    action = data["action"]
    if action == BulkForm.ASSIGN_ME:
        tickets.assign(ticket=ticket, actor=actor)
    elif action == BulkForm.TAG:
        macros.add_tags(ticket=ticket, actor=actor, tags=[data["tag"]])
    elif action == BulkForm.PRIORITY:
        tickets.change_priority(
            ticket=ticket,
            actor=actor,
            priority=data["priority"],
            reason=_("Changed for several tickets at once"),
        )
