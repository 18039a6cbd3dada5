"""The conversation: replies of the shopper and the agents, and the agents' internal
notes. The first agent reply is the first response; a shopper's reply to a resolved
ticket reopens it."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.services.accounts import notify

from ...exceptions import TicketError
from ...models import Ticket, TicketMessage
from .access import OPEN, Status, _is_shopper, _require_work, shopper_url
from .steps import (
    _attach,
    _clean_body,
    _locked,
    _mark_first_response,
    _process_attachments,
    _reopen,
    _step,
)


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
