"""Pages of the ticket view beside the queue: the follow-up calls due (agents), the
team's dashboard and the service targets (supervisors)."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mall import audit

from ..forms.tickets import (
    FollowUpForm,
    PeriodForm,
    TargetsForm,
)
from ..models import FollowUp
from ..selectors import figures
from ..services import tickets
from ..services.tickets import SEE_CONTACT_DETAILS, TicketError, may_supervise
from .workspace import agents_only, supervisors_only

# --- Follow-up calls --------------------------------------------------------------------------


@agents_only
def follow_ups(request):
    """The agent's follow-up calls still to make (a supervisor sees everyone's), due
    first; the ten last done."""
    todo = FollowUp.objects.filter(done_at__isnull=True).select_related("ticket__shopper", "agent")
    done = FollowUp.objects.filter(done_at__isnull=False).select_related("ticket", "agent")
    if not may_supervise(request.user):
        todo = todo.filter(agent=request.user)
        done = done.filter(agent=request.user)
    context = {
        "support_area": "follow_ups",
        "todo": list(todo.order_by("due_at", "pk")[:100]),
        "done": list(done.order_by("-done_at", "-pk")[:10]),
        "now": timezone.now(),
        "form": FollowUpForm(),
        "show_contact": request.user.has_perm(SEE_CONTACT_DETAILS),
    }
    if context["show_contact"] and context["todo"]:
        audit.record("contact.view_unmasked", actor=request.user, page="follow-ups")
    return render(request, "support/tickets/follow_ups.html", context)


@agents_only
@require_POST
def follow_up_done(request, pk):
    follow_up = FollowUp.objects.filter(pk=pk).first()
    if follow_up is None:
        raise Http404
    form = FollowUpForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        tickets.complete_follow_up(follow_up=follow_up, actor=request.user, note=note)
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The follow-up call is recorded."))
    return redirect("support:follow_ups")


# --- Supervisors ----------------------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@supervisors_only
def dashboard(request):
    default_start, default_end = PeriodForm.default_dates()
    form = PeriodForm(request.GET or None, initial={"start": default_start, "end": default_end})
    start, end = form.period()
    since, until = _day_start(start), _day_start(end + datetime.timedelta(days=1))
    context = {
        "support_area": "dashboard",
        "form": form,
        "start": start,
        "end": end,
        "agents": figures.agent_figures(since, until),
        "team": figures.team_figures(since, until),
        "breaches": figures.breach_counts(since, until),
    }
    return render(request, "support/tickets/dashboard.html", context)


@supervisors_only
@require_http_methods(["GET", "POST"])
def targets(request):
    if not request.user.has_perm(tickets.CHANGE_TARGETS):
        raise PermissionDenied
    rows = tickets.service_targets()
    form = TargetsForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # all rows or none
                for type_, priority, first, resolution in form.changed_targets():
                    tickets.save_service_target(
                        actor=request.user,
                        type_=type_,
                        priority=priority,
                        first_response_minutes=first,
                        resolution_minutes=resolution,
                    )
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("The service targets are saved. New tickets are due by them.")
            )
            return redirect("support:targets")
    return render(
        request, "support/tickets/targets.html", {"support_area": "targets", "form": form}
    )
