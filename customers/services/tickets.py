"""Customer-service tickets: opened by shoppers (or by an agent for a phone or email
request), worked by support agents against two deadlines, resolved, rated, closed.

The ticket follows ``TICKET_MACHINE``; every change of state is one service here that
goes through ``mall.statemachine.transition`` and so writes a timeline row (who, when,
from, to, why)::

    new → assigned → waiting (for the customer) → assigned → resolved → closed
    new | assigned | waiting → resolved;  resolved | closed → assigned (reopen)

Opening and escalating write timeline rows of their own ("open", "escalate"; the state
does not change).

Who acts: the ticket's shopper opens, replies, rates and closes their own tickets;
staff with ``customers.work_ticket`` (support agents and supervisors) do the rest;
reassigning someone else's ticket needs ``customers.supervise_ticket``. Every service
takes the acting user and raises ``PermissionDenied`` for anyone else, whatever the
views checked before.

Guarantees:

- **Deadlines are fixed at opening** (``deadlines_for``): the ``ServiceTarget`` of the
  ticket's type and priority (or ``DEFAULT_TARGETS``), counted in working minutes of the
  support calendar (``customers.business_hours``). They move only when an agent changes
  the priority (``change_priority``) and, for the resolution, by the working time the
  ticket spent waiting for the customer (the clock stops there; ``_step``).
- **First response once.** ``first_response_at`` is set by the first agent reply (or a
  phone ticket's opening, or a resolution without a reply), never moved afterwards.
- **Breaches are recorded once** per ticket and deadline (a unique constraint): when a
  late reply or resolution happens, and by the deadlines job for tickets still open.
- **Escalated once per deadline.** The job escalates a ticket whose next deadline is
  less than ``MALL_SUPPORT_ESCALATE_BEFORE_MINUTES`` away (or passed) unless it was
  escalated within that window already: a conditional UPDATE claims it, so two runs at
  once escalate it once.
- **Rated once,** by its shopper, once resolved (or closed): a conditional UPDATE.
- **Attachments are checked by content**: images re-encoded (EXIF and anything appended
  dropped), PDFs checked by their header; anything else is refused.
- **Links are the shopper's own**: an order or after-sales case of someone else is
  refused; a product must be on sale or bought by the shopper.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import media
from mall.numbers import new_number
from mall.statemachine import IllegalTransition, transition
from mall.storage import MediaUnavailable

from .. import business_hours
from ..models import (
    TICKET_MACHINE,
    FollowUp,
    ServiceTarget,
    Ticket,
    TicketAttachment,
    TicketBreach,
    TicketMessage,
    TicketStatusChange,
    User,
)
from .accounts import notify

Status = Ticket.Status
Type = Ticket.Type
Priority = Ticket.Priority
Channel = Ticket.Channel

WORK = "customers.work_ticket"
SUPERVISE = "customers.supervise_ticket"
SEE_CONTACT_DETAILS = "customers.see_contact_details"
CHANGE_TARGETS = "customers.change_servicetarget"

OPEN = (Status.NEW, Status.ASSIGNED, Status.WAITING)
# A first response is pending while nobody answered; "waiting" tickets were answered.
AWAITING_FIRST_RESPONSE = (Status.NEW, Status.ASSIGNED)
# Nobody has answered yet: the first-response deadline is the one that counts.
FIRST_RESPONSE_PENDING = Q(first_response_at__isnull=True, status__in=AWAITING_FIRST_RESPONSE)
# The resolution clock runs while the ticket is with the shop, not while it waits for
# the customer (``_step`` moves the deadline on by the time spent waiting).
CLOCK_RUNNING = (Status.NEW, Status.ASSIGNED)
MAX_ATTACHMENTS = 5
MAX_BODY = 5000

_H = 60
# (type, priority) → (first response, resolution) in working minutes, used while no
# ServiceTarget row says otherwise (supervisors edit them in /support/targets/).
DEFAULT_TARGETS: dict[tuple[str, str], tuple[int, int]] = {
    (Type.COMPLAINT, Priority.URGENT): (30, 24 * _H),
    (Type.COMPLAINT, Priority.HIGH): (1 * _H, 24 * _H),
    (Type.COMPLAINT, Priority.NORMAL): (2 * _H, 48 * _H),
    (Type.COMPLAINT, Priority.LOW): (4 * _H, 72 * _H),
    (Type.AFTER_SALES, Priority.URGENT): (30, 24 * _H),
    (Type.AFTER_SALES, Priority.HIGH): (1 * _H, 48 * _H),
    (Type.AFTER_SALES, Priority.NORMAL): (2 * _H, 72 * _H),
    (Type.AFTER_SALES, Priority.LOW): (4 * _H, 96 * _H),
    (Type.CONSULTATION, Priority.URGENT): (30, 8 * _H),
    (Type.CONSULTATION, Priority.HIGH): (1 * _H, 24 * _H),
    (Type.CONSULTATION, Priority.NORMAL): (4 * _H, 72 * _H),
    (Type.CONSULTATION, Priority.LOW): (8 * _H, 120 * _H),
    (Type.SUGGESTION, Priority.URGENT): (2 * _H, 72 * _H),
    (Type.SUGGESTION, Priority.HIGH): (4 * _H, 120 * _H),
    (Type.SUGGESTION, Priority.NORMAL): (8 * _H, 168 * _H),
    (Type.SUGGESTION, Priority.LOW): (24 * _H, 336 * _H),
}


class TicketError(Exception):
    """A ticket action that cannot be done as asked; ``str(error)`` says why, for a person."""


class AttachmentRefused(TicketError):
    """Attachments that cannot be kept; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(str(problem) for problem in problems))


# --- Who may act -------------------------------------------------------------------------


def may_work(user) -> bool:
    """Support staff (agents, supervisors; superusers) who work tickets."""
    return bool(user and user.is_active and user.is_staff and user.has_perm(WORK))


def may_supervise(user) -> bool:
    return may_work(user) and user.has_perm(SUPERVISE)


def _require_work(actor) -> None:
    if not may_work(actor):
        raise PermissionDenied


def _is_shopper(actor, ticket: Ticket) -> bool:
    return actor is not None and actor.is_active and actor.pk == ticket.shopper_id


def shopper_url(ticket: Ticket) -> str:
    return reverse("customers:ticket_detail", args=[ticket.number])


def support_url(ticket: Ticket) -> str:
    return reverse("support:ticket", args=[ticket.number])


# --- Deadlines -----------------------------------------------------------------------------


def target_for(type_: str, priority: str) -> tuple[int, int]:
    """(first response, resolution) working minutes for a ticket of ``type_`` and
    ``priority``: its ServiceTarget row, else the default (one query)."""
    row = (
        ServiceTarget.objects.filter(type=type_, priority=priority)
        .values_list("first_response_minutes", "resolution_minutes")
        .first()
    )
    return tuple(row) if row else DEFAULT_TARGETS[(type_, priority)]


def deadlines_for(
    *,
    type_: str,
    priority: str,
    opened_at: datetime.datetime,
    paused_minutes: int = 0,
    calendar=None,
) -> tuple[datetime.datetime, datetime.datetime]:
    """The first-response and resolution deadlines of a ticket opened at ``opened_at``
    that has waited ``paused_minutes`` working minutes for its customer."""
    calendar = calendar or business_hours.from_settings()
    first, resolution = target_for(type_, priority)
    return (
        business_hours.add_working_minutes(opened_at, first, calendar),
        business_hours.add_working_minutes(opened_at, resolution + paused_minutes, calendar),
    )


@dataclass(frozen=True)
class TargetRow:
    type: str
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    is_default: bool

    @property
    def type_label(self):
        return Ticket.Type(self.type).label

    @property
    def priority_label(self):
        return Ticket.Priority(self.priority).label


def service_targets() -> list[TargetRow]:
    """Every type and priority with its targets, saved or default (one query)."""
    saved = {
        (row.type, row.priority): row
        for row in ServiceTarget.objects.all()  # at most 16 rows
    }
    rows = []
    for type_ in Type.values:
        for priority in reversed(Priority.values):
            row = saved.get((type_, priority))
            first, resolution = (
                (row.first_response_minutes, row.resolution_minutes)
                if row
                else DEFAULT_TARGETS[(type_, priority)]
            )
            rows.append(TargetRow(type_, priority, first, resolution, row is None))
    return rows


@transaction.atomic
def save_service_target(
    *, actor, type_: str, priority: str, first_response_minutes: int, resolution_minutes: int
) -> ServiceTarget:
    """Set the targets of one type and priority (tickets opened from now on use them;
    open tickets keep their deadlines). Needs ``customers.change_servicetarget``. Raises
    ``TicketError`` unless 0 < first response <= resolution."""
    if not (may_work(actor) and actor.has_perm(CHANGE_TARGETS)):
        raise PermissionDenied
    if (type_, priority) not in DEFAULT_TARGETS:
        raise TicketError(_("Unknown ticket type or priority."))
    if first_response_minutes <= 0 or resolution_minutes < first_response_minutes:
        raise TicketError(
            _(
                "The first response must be due after 1 minute or more, and no later than "
                "the resolution."
            )
        )
    target, _created = ServiceTarget.objects.update_or_create(
        type=type_,
        priority=priority,
        defaults={
            "first_response_minutes": first_response_minutes,
            "resolution_minutes": resolution_minutes,
        },
    )
    return target


# --- Attachments --------------------------------------------------------------------------


def _process_attachments(files: Iterable) -> list[tuple[object, str]]:
    """(checked file, original name) per upload, or ``AttachmentRefused`` with every
    problem. Images are re-encoded as JPEG; PDFs are kept after a header check."""

    def checked(upload) -> tuple[object, str]:
        name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][-100:]
        upload.seek(0)
        is_pdf = upload.read(5) == b"%PDF-"
        upload.seek(0)
        content = media.process_document_scan(upload) if is_pdf else media.process_photo(upload)
        return content, name

    processed, problems = media.process_photos(
        files,
        limit=MAX_ATTACHMENTS,
        process=checked,
        too_many=_("Attach at most %(count)s files.") % {"count": MAX_ATTACHMENTS},
    )
    if problems:
        raise AttachmentRefused(problems)
    return processed


def _attach(message: TicketMessage, processed) -> None:
    try:
        for content, name in processed:
            attachment = TicketAttachment(message=message, name=name[:200])
            attachment.file.save(content.name, content, save=False)
            attachment.save()
    except MediaUnavailable as error:  # raised inside the caller's transaction: rolled back
        raise AttachmentRefused([str(error)]) from error


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise TicketError(_("Write a message."))
    if len(body) > MAX_BODY:
        raise TicketError(_("Keep the message under %(count)s characters.") % {"count": MAX_BODY})
    return body


# --- Opening ---------------------------------------------------------------------------------


def _record(ticket: Ticket, name: str, *, actor, reason: str = "", from_state=None) -> None:
    """A timeline row for an event that does not change the state (open, escalate)."""
    TicketStatusChange.objects.create(
        subject=ticket,
        transition=name,
        from_state=ticket.status if from_state is None else from_state,
        to_state=ticket.status,
        actor=actor,
        reason=reason,
    )


def _step(ticket: Ticket, name: str, *, actor, reason: str = "", update_fields=()) -> Ticket:
    """Transition ``ticket`` (locked by the caller), stopping the resolution clock on
    entering "waiting" and starting it again on leaving: the working minutes spent
    waiting add to ``paused_minutes`` and move the resolution deadline on."""
    target = TICKET_MACHINE.check(ticket, name).target
    fields = list(update_fields)
    if target == Status.WAITING and ticket.status != Status.WAITING:
        ticket.waiting_since = timezone.now()
        fields.append("waiting_since")
    elif ticket.status == Status.WAITING and target != Status.WAITING and ticket.waiting_since:
        calendar = business_hours.from_settings()
        paused = business_hours.working_minutes_between(
            ticket.waiting_since, timezone.now(), calendar
        )
        ticket.paused_minutes += paused
        ticket.resolution_due = business_hours.add_working_minutes(
            ticket.resolution_due, paused, calendar
        )
        ticket.waiting_since = None
        fields += ["resolution_due", "waiting_since", "paused_minutes"]
    return transition(
        ticket,
        TICKET_MACHINE,
        name,
        history=TicketStatusChange,
        actor=actor,
        reason=reason,
        update_fields=fields,
    )


def _check_links(shopper, *, order, product, after_sales_case):
    """The order and case must be the shopper's; a case implies its order."""
    if after_sales_case is not None:
        if after_sales_case.user_id != shopper.pk:
            raise TicketError(_("That after-sales case is not yours."))
        if order is not None and order.pk != after_sales_case.order_id:
            raise TicketError(_("That after-sales case belongs to another order."))
        order = order or after_sales_case.order
    if order is not None and order.user_id != shopper.pk:
        raise TicketError(_("That order is not yours."))
    if product is not None:
        from catalog.models import Product
        from orders.models import OrderLine

        bought = OrderLine.objects.filter(order__user=shopper, sku__product=product).exists()
        if product.status != Product.Status.LISTED and not bought:
            raise TicketError(_("That product is not on sale."))
    return order


def open_ticket(
    *,
    actor,
    type_: str,
    subject: str,
    body: str,
    shopper=None,
    channel: str = Channel.WEB,
    priority: str = Priority.NORMAL,
    category: str = Ticket.Category.OTHER,
    order=None,
    product=None,
    after_sales_case=None,
    attachments: Iterable = (),
) -> Ticket:
    """Open a ticket with its first message and return it.

    A shopper opens their own (``shopper`` omitted or themselves): channel web, priority
    normal. An agent opens one on behalf of ``shopper`` for a phone or email request,
    with a priority; it is assigned to them at once, and a phone call counts as the
    first response. A VIP shopper's ticket goes to their dedicated agent at once.
    Deadlines come from the service target and the support calendar.

    Raises ``PermissionDenied`` (someone else's ticket without ``work_ticket``),
    ``TicketError`` (bad input, someone else's order or case; ``AttachmentRefused``).
    """
    shopper = shopper or actor
    if actor is None or not actor.is_active or not shopper.is_active:
        raise PermissionDenied
    by_agent = actor.pk != shopper.pk
    if by_agent:
        _require_work(actor)
        if channel not in (Channel.PHONE, Channel.EMAIL):
            raise TicketError(_("Agents open tickets for phone calls and emails."))
    else:
        channel, priority = Channel.WEB, Priority.NORMAL
    if type_ not in Type.values or priority not in Priority.values:
        raise TicketError(_("Choose a type and a priority."))
    if category not in Ticket.Category.values:
        category = Ticket.Category.OTHER
    subject = (subject or "").strip()
    if not subject:
        raise TicketError(_("Give the request a subject."))
    body = _clean_body(body)
    order = _check_links(shopper, order=order, product=product, after_sales_case=after_sales_case)
    processed = _process_attachments(attachments)
    now = timezone.now()
    first_due, resolution_due = deadlines_for(type_=type_, priority=priority, opened_at=now)

    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=new_number("TK"),
            type=type_,
            category=category,
            channel=channel,
            priority=priority,
            subject=subject[:200],
            shopper=shopper,
            order=order,
            product=product,
            after_sales_case=after_sales_case,
            created_at=now,
            status_changed_at=now,
            first_response_due=first_due,
            resolution_due=resolution_due,
        )
        _record(ticket, "open", actor=actor, reason=Ticket.Channel(channel).label, from_state="")
        message = TicketMessage.objects.create(
            ticket=ticket, author=actor, body=body, created_at=now
        )
        _attach(message, processed)
        if by_agent:
            ticket.assignee = actor
            fields = ["assignee"]
            if channel == Channel.PHONE:
                ticket.first_response_at = now
                fields.append("first_response_at")
            _step(ticket, "assign", actor=actor, reason=str(actor), update_fields=fields)
        else:
            agent = _dedicated_agent(shopper)
            if agent is not None:
                ticket.assignee = agent
                _step(
                    ticket,
                    "assign",
                    actor=None,
                    reason=_("VIP: dedicated agent %(agent)s") % {"agent": agent},
                    update_fields=["assignee"],
                )
                notify(
                    user=agent,
                    title=_("New request %(number)s from your VIP shopper")
                    % {"number": ticket.number},
                    body=subject,
                    link=support_url(ticket),
                )
    return ticket


def _dedicated_agent(shopper):
    if not shopper.is_vip or shopper.dedicated_agent_id is None:
        return None
    agent = User.objects.filter(pk=shopper.dedicated_agent_id).first()
    return agent if may_work(agent) else None


# --- The conversation ------------------------------------------------------------------------


def _locked(ticket: Ticket) -> Ticket:
    """Lock the ticket's row and read it again: whatever changed since it was loaded."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update())
    return ticket


def _breach(ticket: Ticket, kind: str, due_at) -> None:
    TicketBreach.objects.get_or_create(
        ticket=ticket, kind=kind, defaults={"due_at": due_at, "assignee_id": ticket.assignee_id}
    )


def _mark_first_response(ticket: Ticket, now) -> None:
    """The first response happens now (once), and a late one is a breach."""
    if ticket.first_response_at is not None:
        return
    ticket.first_response_at = now
    Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
        first_response_at=now
    )
    if now > ticket.first_response_due:
        _breach(ticket, TicketBreach.Kind.FIRST_RESPONSE, ticket.first_response_due)


def reply(
    *,
    ticket: Ticket,
    actor,
    body: str,
    attachments: Iterable = (),
    wait_for_customer: bool = False,
    from_article=None,
) -> TicketMessage:
    """Add a message to the conversation and return it.

    From the ticket's shopper: while the ticket is open or resolved. A reply to a
    waiting ticket hands it back to the agent; one to a resolved ticket reopens it;
    a closed ticket takes no replies (the shopper opens a new one).

    From an agent (``work_ticket``): while the ticket is open. An unassigned ticket is
    assigned to them; the first agent reply is the first response; with
    ``wait_for_customer`` the ticket waits for the shopper. The shopper gets a message
    on their account page and an email, with a link to the ticket.

    Raises ``PermissionDenied``, ``TicketError`` (``AttachmentRefused``).
    """
    shopper_reply = _is_shopper(actor, ticket)
    if not shopper_reply:
        _require_work(actor)
    body = _clean_body(body)
    processed = _process_attachments(attachments)
    with transaction.atomic():
        _locked(ticket)
        now = timezone.now()
        if shopper_reply:
            if ticket.status == Status.CLOSED:
                raise TicketError(_("This request is closed. Please open a new one."))
            message = TicketMessage.objects.create(
                ticket=ticket, author=actor, body=body, created_at=now
            )
            _attach(message, processed)
            if ticket.status == Status.WAITING:
                _step(ticket, "customer_replied", actor=actor)
            elif ticket.status == Status.RESOLVED:
                _reopen(ticket, actor=actor, reason=_("The shopper replied."))
            return message

        if ticket.status not in OPEN:
            raise TicketError(_("Reopen the ticket before replying."))
        message = TicketMessage.objects.create(
            ticket=ticket, author=actor, body=body, created_at=now, from_article=from_article
        )
        _attach(message, processed)
        if ticket.assignee_id is None:
            ticket.assignee = actor
            _step(ticket, "assign", actor=actor, reason=str(actor), update_fields=["assignee"])
        _mark_first_response(ticket, now)
        if wait_for_customer and ticket.status != Status.WAITING:
            _step(ticket, "wait_for_customer", actor=actor)
        notify(
            user=ticket.shopper,
            title=_("New reply to your request %(number)s") % {"number": ticket.number},
            body=body[:500],
            link=shopper_url(ticket),
        )
    return message


def add_note(*, ticket: Ticket, actor, body: str, attachments: Iterable = ()) -> TicketMessage:
    """An internal note on the ticket, seen by staff only. Needs ``work_ticket``."""
    _require_work(actor)
    body = _clean_body(body)
    processed = _process_attachments(attachments)
    with transaction.atomic():
        message = TicketMessage.objects.create(
            ticket=ticket, author=actor, body=body, internal=True
        )
        _attach(message, processed)
    return message


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


def _supervisors():
    supervise = Q(
        groups__permissions__codename="supervise_ticket",
        groups__permissions__content_type__app_label="customers",
    ) | Q(
        user_permissions__codename="supervise_ticket",
        user_permissions__content_type__app_label="customers",
    )
    return User.objects.filter(supervise, is_active=True, is_staff=True).distinct().order_by("pk")


def _escalate(ticket: Ticket, *, actor, reason: str, supervisors=None) -> None:
    """Record the escalation and tell every supervisor (in the caller's transaction);
    ``supervisors`` as read once by a job that escalates many tickets."""
    _record(ticket, "escalate", actor=actor, reason=reason)
    title = _("Request %(number)s is escalated") % {"number": ticket.number}
    body = f"{ticket.subject}\n{reason}".strip()
    for supervisor in _supervisors() if supervisors is None else supervisors:
        notify(user=supervisor, title=title, body=body, link=support_url(ticket))


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


def _reopen(ticket: Ticket, *, actor, reason: str) -> Ticket:
    ticket.reopened += 1
    ticket.resolved_at = None
    ticket.closed_at = None
    return _step(
        ticket,
        "reopen",
        actor=actor,
        reason=reason,
        update_fields=["reopened", "resolved_at", "closed_at"],
    )


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
