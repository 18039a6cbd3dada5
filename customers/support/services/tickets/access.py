"""Who may act on tickets (the permissions and the shopper's own), the states that count as
open, and the links to a ticket's pages."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.urls import reverse

from ...models import Ticket

Status = Ticket.Status
Type = Ticket.Type
Priority = Ticket.Priority
Channel = Ticket.Channel

WORK = "support.work_ticket"
SUPERVISE = "support.supervise_ticket"
SEE_CONTACT_DETAILS = "support.see_contact_details"
CHANGE_TARGETS = "support.change_servicetarget"

OPEN = (Status.NEW, Status.ASSIGNED, Status.WAITING)
# A first response is pending while nobody answered; "waiting" tickets were answered.
AWAITING_FIRST_RESPONSE = (Status.NEW, Status.ASSIGNED)
# Nobody has answered yet: the first-response deadline is the one that counts.
FIRST_RESPONSE_PENDING = Q(first_response_at__isnull=True, status__in=AWAITING_FIRST_RESPONSE)
# The resolution clock runs while the ticket is with the shop, not while it waits for
# the customer (``_step`` moves the deadline on by the time spent waiting).
CLOCK_RUNNING = (Status.NEW, Status.ASSIGNED)


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
    return reverse("tickets:detail", args=[ticket.number])


def support_url(ticket: Ticket) -> str:
    return reverse("support:ticket", args=[ticket.number])
