"""Read queries of customer service for the agents' ticket view, the supervisor's
dashboard and the shopper's pages. Each returns what its page needs in a fixed number of
queries, whatever the number of tickets, messages or attachments.

(``customers`` has no selectors package yet; these belong in ``customers/selectors/
tickets.py`` once it has one.)
"""

from django.db.models import Case, Count, DateTimeField, F, Prefetch, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.validators import normalize_mobile
from orders.models import AfterSalesCase, Order, OrderLine, Shipment, TrackingEvent

from ..models import Ticket, TicketAttachment, TicketBreach, TicketMessage, TicketStatusChange
from ..services.tickets import CLOCK_RUNNING, FIRST_RESPONSE_PENDING, OPEN, due_soon_filter

Status = Ticket.Status

# The queue's views, in the order of the tabs.
MINE, UNASSIGNED, DUE_SOON, BREACHED, WAITING, ALL_OPEN, EVERYTHING = (
    "mine",
    "unassigned",
    "due_soon",
    "breached",
    "waiting",
    "open",
    "all",
)
VIEWS = {
    MINE: _("Mine"),
    UNASSIGNED: _("Unassigned"),
    DUE_SOON: _("About to breach"),
    BREACHED: _("Breached"),
    WAITING: _("Waiting for customer"),
    ALL_OPEN: _("All open"),
    EVERYTHING: _("All"),
}


def next_due() -> Case:
    """The deadline an open ticket works against now: the first response while it is
    pending, then the resolution; none while it waits for the customer (the clock is
    stopped) or once resolved."""
    return Case(
        When(FIRST_RESPONSE_PENDING, then=F("first_response_due")),
        When(status__in=CLOCK_RUNNING, then=F("resolution_due")),
        default=None,
        output_field=DateTimeField(),
    )


def breached_filter(now) -> Q:
    """Open tickets past a deadline they still work against."""
    return (FIRST_RESPONSE_PENDING & Q(first_response_due__lt=now)) | Q(
        status__in=CLOCK_RUNNING, resolution_due__lt=now
    )


def view_filter(view: str, *, user, now) -> Q:
    return {
        MINE: Q(assignee=user, status__in=OPEN),
        UNASSIGNED: Q(assignee__isnull=True, status__in=OPEN),
        DUE_SOON: due_soon_filter(now) & ~breached_filter(now),
        BREACHED: breached_filter(now),
        WAITING: Q(status=Status.WAITING),
        ALL_OPEN: Q(status__in=OPEN),
        EVERYTHING: Q(),
    }[view]


def search_filter(text: str) -> Q:
    """Ticket number, order number, the shopper's mobile number or email, or words of the
    subject."""
    text = text.strip()
    found = Q(number__iexact=text) | Q(order__number__iexact=text) | Q(subject__icontains=text)
    phone = normalize_mobile(text)
    if phone.isdigit() and len(phone) == 11:
        found |= Q(shopper__phone=phone)
    if "@" in text:
        found |= Q(shopper__email__iexact=text)
    return found


def support_queue(
    *,
    view: str,
    user,
    now=None,
    type_: str = "",
    priority: str = "",
    status: str = "",
    agent: int | None = None,
    query: str = "",
    tag: str = "",
) -> QuerySet[Ticket]:
    """The queue's tickets, most urgent deadline first, with shopper, agent and order
    (one query a page)."""
    now = now or timezone.now()
    tickets = (
        Ticket.objects.select_related("shopper", "assignee", "order")
        .annotate(next_due=next_due())
        .filter(view_filter(view, user=user, now=now))
    )
    if type_:
        tickets = tickets.filter(type=type_)
    if priority:
        tickets = tickets.filter(priority=priority)
    if status:
        tickets = tickets.filter(status=status)
    if agent:
        tickets = tickets.filter(assignee_id=agent)
    if query:
        tickets = tickets.filter(search_filter(query))
    if tag:
        tickets = tickets.filter(tags__contains=[tag])  # the GIN index on tags
    return tickets.order_by(F("next_due").asc(nulls_last=True), "-created_at", "-pk")


def view_counts(*, user, now=None) -> dict[str, int]:
    """How many tickets each view of the queue holds (one query)."""
    now = now or timezone.now()
    # Every counted view is open tickets only: the index on status skips the done ones.
    counts = Ticket.objects.filter(status__in=OPEN).aggregate(
        **{
            view: Count("pk", filter=view_filter(view, user=user, now=now))
            for view in VIEWS
            if view != EVERYTHING
        }
    )
    return counts


# --- One ticket ------------------------------------------------------------------------------


def _messages(*, internal: bool):
    messages = TicketMessage.objects.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=TicketAttachment.objects.order_by("pk"))
    )
    if not internal:
        messages = messages.filter(internal=False)
    return Prefetch("messages", queryset=messages.order_by("created_at", "pk"))


def ticket_for_support(*, number: str) -> Ticket:
    """A ticket with everything the agent's page shows: shopper, agent, links, follow-up,
    messages and notes with authors and attachments, timeline with actors, breaches (six
    queries). Raises ``Ticket.DoesNotExist``."""
    return (
        Ticket.objects.select_related(
            "shopper", "assignee", "order", "product", "after_sales_case", "follow_up__agent"
        )
        .prefetch_related(
            _messages(internal=True),
            Prefetch(
                "timeline",
                queryset=TicketStatusChange.objects.select_related("actor").order_by("at", "pk"),
            ),
            Prefetch("breaches", queryset=TicketBreach.objects.order_by("due_at", "pk")),
        )
        .get(number=number)
    )


def shopper_orders(shopper, *, limit: int = 5) -> list[Order]:
    """The shopper's latest orders (one query)."""
    return list(Order.objects.filter(user=shopper).order_by("-placed_at", "-pk")[:limit])


def shopper_cases(shopper, *, limit: int = 5) -> list[AfterSalesCase]:
    """The shopper's latest after-sales cases with their order (one query)."""
    return list(
        AfterSalesCase.objects.filter(user=shopper)
        .select_related("order")
        .order_by("-created_at", "-pk")[:limit]
    )


def order_for_support(*, number: str) -> Order:
    """An order as the agent sees it beside a ticket: its shopper, lines, its parcels each
    with their tracking events (oldest first), and its after-sales cases (four queries,
    however many parcels, events or cases). Raises ``Order.DoesNotExist``."""
    return (
        Order.objects.select_related("user")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("warehouse")
                .prefetch_related(
                    Prefetch("events", queryset=TrackingEvent.objects.order_by("occurred_at", "pk"))
                )
                .order_by("pk"),
            ),
            Prefetch(
                "after_sales_cases", queryset=AfterSalesCase.objects.order_by("-created_at", "-pk")
            ),
        )
        .get(number=number)
    )


def order_tickets(order: Order, *, limit: int = 20) -> list[Ticket]:
    """The tickets about ``order``, newest first (one query)."""
    found = Ticket.objects.filter(order=order).select_related("assignee")
    return list(found.order_by("-created_at", "-pk")[:limit])


def shopper_other_tickets(ticket: Ticket, *, limit: int = 5) -> list[Ticket]:
    """The shopper's other tickets, newest first (one query)."""
    return list(
        Ticket.objects.filter(shopper_id=ticket.shopper_id)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-pk")[:limit]
    )


def attachment_for_support(*, number: str, pk: int) -> TicketAttachment:
    return TicketAttachment.objects.select_related("message__ticket").get(
        pk=pk, message__ticket__number=number
    )


# --- The shopper's pages ---------------------------------------------------------------------


def tickets_of(user) -> QuerySet[Ticket]:
    """A shopper's tickets, newest first, with their order (one query a page)."""
    return (
        Ticket.objects.filter(shopper=user).select_related("order").order_by("-created_at", "-pk")
    )


def ticket_for_shopper(*, number: str, user) -> Ticket:
    """One of the shopper's tickets with its conversation (no internal notes), the
    attachments and the timeline: four queries. Anyone else's ticket is
    ``Ticket.DoesNotExist``."""
    return (
        Ticket.objects.select_related("order", "product", "after_sales_case")
        .prefetch_related(
            _messages(internal=False),
            Prefetch("timeline", queryset=TicketStatusChange.objects.order_by("at", "pk")),
        )
        .get(number=number, shopper=user)
    )


def attachment_for_shopper(*, number: str, pk: int, user) -> TicketAttachment:
    """An attachment of a message the shopper can see (not of an internal note)."""
    return TicketAttachment.objects.select_related("message__ticket").get(
        pk=pk,
        message__ticket__number=number,
        message__ticket__shopper=user,
        message__internal=False,
    )
