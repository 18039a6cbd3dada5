"""What agents (and the shopper) do with a ticket: assign, escalate, change its priority,
resolve, close, reopen, rate, and the follow-up call after a resolved complaint."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.services.accounts import notify

from ...exceptions import TicketError
from ...models import TICKET_MACHINE, FollowUp, Ticket, TicketBreach
from .access import (
    OPEN,
    Status,
    Type,
    _is_shopper,
    _require_work,
    may_supervise,
    may_work,
    shopper_url,
    support_url,
)
from .deadlines import deadlines_for
from .steps import _breach, _escalate, _locked, _mark_first_response, _record, _reopen, _step

# --- Agents' actions -----------------------------------------------------------------------


def assign(*, ticket: Ticket, actor, agent=None) -> Ticket:
    """Give the ticket to ``agent`` (default: the actor themself).

    Any agent takes an unassigned ticket (or one already theirs); taking someone else's
    ticket or giving a ticket to another agent needs ``supervise_ticket``, and the agent
    must work tickets. Assigning to the current assignee changes nothing. Raises
    ``PermissionDenied``, ``TicketError``, ``IllegalTransition`` (resolved or closed).
    """
    _require_work(actor)
    agent = agent or actor
    with transaction.atomic():
        _locked(ticket)
        others = agent.pk != actor.pk or ticket.assignee_id not in (None, actor.pk)
        if others and not may_supervise(actor):
            raise PermissionDenied
        if not may_work(agent):
            raise TicketError(_("%(agent)s does not work tickets.") % {"agent": agent})
        TICKET_MACHINE.check(ticket, "assign")
        if ticket.assignee_id == agent.pk and ticket.status != Status.NEW:
            return ticket
        ticket.assignee = agent
        _step(ticket, "assign", actor=actor, reason=str(agent), update_fields=["assignee"])
        if agent.pk != actor.pk:
            notify(
                user=agent,
                title=_("Request %(number)s is assigned to you") % {"number": ticket.number},
                body=ticket.subject,
                link=support_url(ticket),
            )
    return ticket


def escalate(*, ticket: Ticket, actor, reason: str = "") -> Ticket:
    """An agent escalates an open ticket to the supervisors (a message and an email to
    each, a timeline row). Raises ``PermissionDenied``, ``TicketError`` (not open)."""
    _require_work(actor)
    with transaction.atomic():
        _locked(ticket)
        if ticket.status not in OPEN:
            raise TicketError(_("Only open requests are escalated."))
        now = timezone.now()
        ticket.escalated_at = now
        Ticket.objects.filter(pk=ticket.pk).update(escalated_at=now)
        _escalate(ticket, actor=actor, reason=reason.strip() or _("Escalated by an agent."))
    return ticket


def change_priority(*, ticket: Ticket, actor, priority: str, reason: str) -> Ticket:
    """An agent re-prioritises an open ticket (the shopper's words showed it is more, or
    less, urgent than opened). The deadlines are counted again from the opening with the
    new priority's targets, the time spent waiting for the customer still added; a first
    response already given keeps its deadline, and a breach already recorded stays. A
    timeline row says from what, to what and why. Raises ``PermissionDenied``,
    ``TicketError`` (not open, no reason, an unknown or unchanged priority); nothing
    changes then."""
    _require_work(actor)
    if priority not in Ticket.Priority.values:
        raise TicketError(_("Choose a priority."))
    if not reason.strip():
        raise TicketError(_("Say why the priority changes."))
    with transaction.atomic():
        _locked(ticket)
        if ticket.status not in OPEN:
            raise TicketError(_("Only open requests change priority."))
        if ticket.priority == priority:
            raise TicketError(_("The request has this priority already."))
        before = ticket.get_priority_display()
        first_due, resolution_due = deadlines_for(
            type_=ticket.type,
            priority=priority,
            opened_at=ticket.created_at,
            paused_minutes=ticket.paused_minutes,
        )
        ticket.priority = priority
        ticket.resolution_due = resolution_due
        fields = ["priority", "resolution_due"]
        if ticket.first_response_at is None:
            ticket.first_response_due = first_due
            fields.append("first_response_due")
        ticket.save(update_fields=fields)
        _record(
            ticket,
            "priority",
            actor=actor,
            reason=_("%(before)s → %(after)s: %(reason)s")
            % {"before": before, "after": ticket.get_priority_display(), "reason": reason.strip()},
        )
    return ticket


def resolve(*, ticket: Ticket, actor, note: str = "") -> Ticket:
    """Resolve the ticket: ``resolved_at`` now, the resolver is the assignee if there was
    none; a resolution without an earlier reply is the first response; a late one is
    a breach. A complaint gets a follow-up call (回访) for its agent
    ``MALL_SUPPORT_FOLLOW_UP_DAYS`` later. The shopper is told and asked to rate it.
    Raises ``PermissionDenied``, ``IllegalTransition``."""
    _require_work(actor)
    with transaction.atomic():
        _locked(ticket)
        TICKET_MACHINE.check(ticket, "resolve")
        now = timezone.now()
        fields = ["resolved_at"]
        ticket.resolved_at = now
        if ticket.assignee_id is None:
            ticket.assignee = actor
            fields.append("assignee")
        _mark_first_response(ticket, now)
        _step(ticket, "resolve", actor=actor, reason=note.strip(), update_fields=fields)
        if now > ticket.resolution_due:
            _breach(ticket, TicketBreach.Kind.RESOLUTION, ticket.resolution_due)
        if ticket.type == Type.COMPLAINT:
            due = now + datetime.timedelta(days=settings.MALL_SUPPORT_FOLLOW_UP_DAYS)
            FollowUp.objects.filter(ticket=ticket, done_at__isnull=True).update(
                due_at=due, agent_id=ticket.assignee_id, reminded_at=None
            )
            FollowUp.objects.get_or_create(
                ticket=ticket, defaults={"due_at": due, "agent_id": ticket.assignee_id}
            )
        notify(
            user=ticket.shopper,
            title=_("Your request %(number)s is resolved") % {"number": ticket.number},
            body=_("How did we do? Rate our service on the request's page."),
            link=shopper_url(ticket),
        )
    return ticket


def close(*, ticket: Ticket, actor=None, reason: str = "") -> Ticket:
    """Close a resolved ticket: by its shopper, by an agent, or by the system (``actor``
    None, the auto-close job). Raises ``PermissionDenied``, ``IllegalTransition``."""
    if actor is not None and not _is_shopper(actor, ticket):
        _require_work(actor)
    with transaction.atomic():
        _locked(ticket)
        ticket.closed_at = timezone.now()
        _step(ticket, "close", actor=actor, reason=reason, update_fields=["closed_at"])
    return ticket


def reopen(*, ticket: Ticket, actor, reason: str = "") -> Ticket:
    """Reopen a resolved or closed ticket (an agent), or a resolved one (its shopper).
    It goes back to its agent. Raises ``PermissionDenied``, ``IllegalTransition``,
    ``TicketError`` (a shopper and a closed ticket)."""
    shopper = _is_shopper(actor, ticket)
    if not shopper:
        _require_work(actor)
    with transaction.atomic():
        _locked(ticket)
        if shopper and ticket.status == Status.CLOSED:
            raise TicketError(_("This request is closed. Please open a new one."))
        return _reopen(ticket, actor=actor, reason=reason.strip())


def rate(*, ticket: Ticket, actor, rating: int, comment: str = "") -> Ticket:
    """The shopper rates the service once, 1 to 5 with an optional comment, once the
    ticket is resolved or closed. Raises ``PermissionDenied`` (not their ticket),
    ``TicketError``."""
    if not _is_shopper(actor, ticket):
        raise PermissionDenied
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise TicketError(_("Rate from 1 to 5 stars."))
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TicketError(_("You can rate a request once it is resolved."))
    now = timezone.now()
    rated = Ticket.objects.filter(
        pk=ticket.pk, rating__isnull=True, status__in=[Status.RESOLVED, Status.CLOSED]
    ).update(rating=rating, rating_comment=comment.strip()[:2000], rated_at=now)
    if not rated:
        raise TicketError(_("You have already rated this request."))
    ticket.rating, ticket.rating_comment, ticket.rated_at = rating, comment.strip()[:2000], now
    return ticket


def complete_follow_up(*, follow_up: FollowUp, actor, note: str = "") -> FollowUp:
    """The follow-up call is made: what the shopper said is kept. By its agent, or a
    supervisor. Raises ``PermissionDenied``, ``TicketError`` (already done)."""
    _require_work(actor)
    if follow_up.agent_id not in (None, actor.pk) and not may_supervise(actor):
        raise PermissionDenied
    now = timezone.now()
    done = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
        done_at=now, note=note.strip(), agent_id=follow_up.agent_id or actor.pk
    )
    if not done:
        raise TicketError(_("This follow-up is already done."))
    follow_up.refresh_from_db()
    return follow_up
