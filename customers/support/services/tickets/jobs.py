"""The scheduled jobs of customer service: escalation before a deadline, breaches of
tickets still open, follow-up reminders, closing resolved tickets (each safe to run
twice, and twice at once)."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.services.accounts import notify
from mall.statemachine import IllegalTransition

from ...models import FollowUp, Ticket, TicketBreach
from .access import AWAITING_FIRST_RESPONSE, CLOCK_RUNNING, FIRST_RESPONSE_PENDING, Status
from .handling import close
from .steps import _escalate, _supervisors

# --- Scheduled jobs ------------------------------------------------------------------------


def escalation_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.MALL_SUPPORT_ESCALATE_BEFORE_MINUTES)


def due_soon_filter(now) -> Q:
    """Open tickets whose pending deadline is less than the escalation window away, or
    passed (as the queue's "about to breach" and the job read it)."""
    horizon = now + escalation_window()
    return (FIRST_RESPONSE_PENDING & Q(first_response_due__lte=horizon)) | Q(
        status__in=CLOCK_RUNNING, resolution_due__lte=horizon
    )


def _not_escalated_for_deadline() -> Q:
    """Not escalated since the escalation window of the deadline that comes next."""
    window = escalation_window()
    first_pending = FIRST_RESPONSE_PENDING
    return (
        Q(escalated_at__isnull=True)
        | (first_pending & Q(escalated_at__lt=F("first_response_due") - window))
        | (~first_pending & Q(escalated_at__lt=F("resolution_due") - window))
    )


def escalate_due_tickets(*, now=None) -> dict[str, int]:
    """The deadlines job: escalate tickets about to miss a deadline (once per deadline),
    record missed deadlines (once), remind agents of follow-ups that are due (once).
    Each ticket in its own transaction; safe to run again and concurrently. Returns
    the counts of what it did."""
    now = now or timezone.now()
    escalated = 0
    supervisors = None  # read once, when the first ticket needs them
    candidates = (
        Ticket.objects.filter(due_soon_filter(now))
        .filter(_not_escalated_for_deadline())
        .order_by("first_response_due", "pk")
        .values_list("pk", flat=True)
    )
    for pk in list(candidates):
        with transaction.atomic():
            claimed = (
                Ticket.objects.filter(pk=pk)
                .filter(due_soon_filter(now))
                .filter(_not_escalated_for_deadline())
                .update(escalated_at=now)
            )
            if not claimed:
                continue  # another run took it, or it was answered meanwhile
            ticket = Ticket.objects.select_related("shopper").get(pk=pk)
            first_pending = ticket.first_response_at is None and ticket.status in (
                AWAITING_FIRST_RESPONSE
            )
            if first_pending:
                when = timezone.localtime(ticket.first_response_due).strftime("%Y-%m-%d %H:%M")
                reason = _("The first response is due at %(when)s.") % {"when": when}
            else:
                when = timezone.localtime(ticket.resolution_due).strftime("%Y-%m-%d %H:%M")
                reason = _("The resolution is due at %(when)s.") % {"when": when}
            if supervisors is None:
                supervisors = list(_supervisors())
            _escalate(ticket, actor=None, reason=reason, supervisors=supervisors)
            escalated += 1
    return {
        "escalated": escalated,
        "breaches": record_breaches(now=now),
        "follow_ups": remind_follow_ups(now=now),
    }


def record_breaches(*, now=None) -> int:
    """Record every deadline an open ticket has missed, once (two queries and an insert).
    Returns how many were new."""
    now = now or timezone.now()
    exists = TicketBreach.objects.filter(ticket=OuterRef("pk"))
    first = Ticket.objects.filter(FIRST_RESPONSE_PENDING, first_response_due__lt=now).exclude(
        Exists(exists.filter(kind=TicketBreach.Kind.FIRST_RESPONSE))
    )
    resolution = Ticket.objects.filter(status__in=CLOCK_RUNNING, resolution_due__lt=now).exclude(
        Exists(exists.filter(kind=TicketBreach.Kind.RESOLUTION))
    )
    rows = [
        TicketBreach(
            ticket_id=pk,
            kind=TicketBreach.Kind.FIRST_RESPONSE,
            due_at=due,
            assignee_id=assignee,
            recorded_at=now,
        )
        for pk, due, assignee in first.values_list("pk", "first_response_due", "assignee_id")
    ] + [
        TicketBreach(
            ticket_id=pk,
            kind=TicketBreach.Kind.RESOLUTION,
            due_at=due,
            assignee_id=assignee,
            recorded_at=now,
        )
        for pk, due, assignee in resolution.values_list("pk", "resolution_due", "assignee_id")
    ]
    return _insert_new_breaches(rows)


def _insert_new_breaches(rows: list[TicketBreach]) -> int:
    """Insert the rows no overlapping run has recorded, and count only those:
    ``bulk_create(ignore_conflicts=True)`` returns the skipped rows as well."""
    if not rows:
        return 0
    columns = ("ticket_id", "kind", "due_at", "assignee_id", "recorded_at")
    table = connection.ops.quote_name(TicketBreach._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # noqa: S608 (no input)
            "ON CONFLICT (ticket_id, kind) DO NOTHING RETURNING id",
            [getattr(row, column) for row in rows for column in columns],
        )
        return len(cursor.fetchall())


def remind_follow_ups(*, now=None) -> int:
    """Tell each agent once about their follow-up calls that are due. Returns how many."""
    now = now or timezone.now()
    reminded = 0
    due = FollowUp.objects.filter(
        done_at__isnull=True, reminded_at__isnull=True, due_at__lte=now, agent__isnull=False
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            if not FollowUp.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            follow_up = FollowUp.objects.select_related("ticket", "agent").get(pk=pk)
            notify(
                user=follow_up.agent,
                title=_("Follow-up call due: request %(number)s")
                % {"number": follow_up.ticket.number},
                body=follow_up.ticket.subject,
                link=reverse("support:follow_ups"),
            )
            reminded += 1
    return reminded


def close_resolved_tickets(*, now=None) -> int:
    """Close tickets resolved more than ``MALL_SUPPORT_AUTO_CLOSE_DAYS`` ago (the
    system acts). Returns how many."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.MALL_SUPPORT_AUTO_CLOSE_DAYS)
    closed = 0
    stale = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=before).values_list(
        "pk", flat=True
    )
    for pk in list(stale):
        ticket = Ticket.objects.get(pk=pk)
        try:
            close(ticket=ticket, actor=None, reason=_("Closed automatically after resolution."))
        except IllegalTransition:
            continue  # reopened meanwhile
        closed += 1
    return closed
