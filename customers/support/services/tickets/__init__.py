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
staff with ``support.work_ticket`` (support agents and supervisors) do the rest;
reassigning someone else's ticket needs ``support.supervise_ticket``. Every service
takes the acting user and raises ``PermissionDenied`` for anyone else, whatever the
views checked before.

Guarantees:

- **Deadlines are fixed at opening** (``deadlines_for``): the ``ServiceTarget`` of the
  ticket's type and priority (or ``DEFAULT_TARGETS``), counted in working minutes of the
  support calendar (``customers.support.business_hours``). They move only when an agent changes
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

By subdomain: who may act (``access``), deadlines and service targets (``deadlines``),
opening (``opening``), the conversation (``conversation``), the agents' handling
(``handling``) and the scheduled jobs (``jobs``); ``steps`` holds the steps they share
(a transition with its timeline row, the row lock, a breach). Callers use the names
re-exported here: ``tickets.open_ticket``, ``tickets.reply``, ...
"""

from ...exceptions import AttachmentRefused, TicketError
from .access import (
    AWAITING_FIRST_RESPONSE,
    CHANGE_TARGETS,
    CLOCK_RUNNING,
    FIRST_RESPONSE_PENDING,
    OPEN,
    SEE_CONTACT_DETAILS,
    SUPERVISE,
    WORK,
    may_supervise,
    may_work,
    shopper_url,
    support_url,
)
from .conversation import add_note, reply
from .deadlines import (
    DEFAULT_TARGETS,
    TargetRow,
    deadlines_for,
    save_service_target,
    service_targets,
    target_for,
)
from .handling import (
    assign,
    change_priority,
    close,
    complete_follow_up,
    escalate,
    rate,
    reopen,
    resolve,
)
from .jobs import (
    close_resolved_tickets,
    due_soon_filter,
    escalate_due_tickets,
    escalation_window,
    record_breaches,
    remind_follow_ups,
)
from .opening import open_ticket
from .steps import MAX_ATTACHMENTS, MAX_BODY

__all__ = [
    "AWAITING_FIRST_RESPONSE",
    "CHANGE_TARGETS",
    "CLOCK_RUNNING",
    "DEFAULT_TARGETS",
    "FIRST_RESPONSE_PENDING",
    "MAX_ATTACHMENTS",
    "MAX_BODY",
    "OPEN",
    "SEE_CONTACT_DETAILS",
    "SUPERVISE",
    "WORK",
    "AttachmentRefused",
    "TargetRow",
    "TicketError",
    "add_note",
    "assign",
    "change_priority",
    "close",
    "close_resolved_tickets",
    "complete_follow_up",
    "deadlines_for",
    "due_soon_filter",
    "escalate",
    "escalate_due_tickets",
    "escalation_window",
    "may_supervise",
    "may_work",
    "open_ticket",
    "rate",
    "record_breaches",
    "remind_follow_ups",
    "reopen",
    "reply",
    "resolve",
    "save_service_target",
    "service_targets",
    "shopper_url",
    "support_url",
    "target_for",
]
