"""The steps every ticket action is built from (package-internal): a transition with its
timeline row and the resolution clock (``_step``), the row lock, a recorded breach, the
first response, a reopening, an escalation to the supervisors, and attachments checked
by content."""

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import media
from customers.models import User
from customers.services.accounts import notify
from mall.statemachine import transition
from mall.storage import MediaUnavailable

from ... import business_hours
from ...exceptions import AttachmentRefused, TicketError
from ...models import (
    TICKET_MACHINE,
    Ticket,
    TicketAttachment,
    TicketBreach,
    TicketMessage,
    TicketStatusChange,
)
from .access import Status, support_url

MAX_ATTACHMENTS = 5
MAX_BODY = 5000


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


def _supervisors():
    supervise = Q(
        groups__permissions__codename="supervise_ticket",
        groups__permissions__content_type__app_label=Ticket._meta.app_label,
    ) | Q(
        user_permissions__codename="supervise_ticket",
        user_permissions__content_type__app_label=Ticket._meta.app_label,
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
