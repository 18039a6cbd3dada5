"""Service targets and deadlines: how fast a ticket of a type and priority must be
answered and resolved (a ``ServiceTarget`` row, or ``DEFAULT_TARGETS``), counted in the
support calendar's working minutes (``customers.support.business_hours``)."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from ... import business_hours
from ...exceptions import TicketError
from ...models import ServiceTarget, Ticket
from .access import CHANGE_TARGETS, Priority, Type, may_work

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
    open tickets keep their deadlines). Needs ``support.change_servicetarget``. Raises
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
