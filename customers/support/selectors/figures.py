"""The team's figures for the supervisors' dashboard: per agent and for the team, tickets
resolved, first-response and resolution times (medians, in SQL), ratings and breaches."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.translation import gettext_lazy as _

from ..models import Ticket, TicketBreach

Status = Ticket.Status


# --- The supervisor's dashboard --------------------------------------------------------------


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _seconds(later: str, earlier: str = "created_at") -> Func:
    return Func(
        F(later) - F(earlier),
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )


@dataclass(frozen=True)
class AgentFigures:
    agent_id: int | None
    agent: str
    handled: int
    first_response_avg: float | None  # seconds
    first_response_median: float | None
    resolution_avg: float | None
    compliant: int
    rated: int
    satisfaction: float | None

    @property
    def compliance(self) -> float | None:
        """Share of tickets without a missed deadline, in per cent."""
        return 100 * self.compliant / self.handled if self.handled else None


def _figures() -> dict:
    breached = TicketBreach.objects.filter(ticket=OuterRef("pk"))
    return {
        "handled": Count("pk"),
        "first_response_avg": Avg(_seconds("first_response_at")),
        "first_response_median": Median(_seconds("first_response_at")),
        "resolution_avg": Avg(_seconds("resolved_at")),
        "compliant": Count("pk", filter=~Q(Exists(breached))),
        "rated": Count("rating"),
        "satisfaction": Avg("rating"),
    }


def resolved_between(start: datetime.datetime, end: datetime.datetime) -> QuerySet[Ticket]:
    """Tickets resolved (and not reopened since) in [start, end): the period's work."""
    return Ticket.objects.filter(
        resolved_at__gte=start, resolved_at__lt=end, status__in=[Status.RESOLVED, Status.CLOSED]
    )


def agent_figures(start: datetime.datetime, end: datetime.datetime) -> list[AgentFigures]:
    """Per agent, over the tickets they resolved in the period: how many, first-response
    time (average and median) and resolution time from opening, the share without a
    missed deadline, the average rating (one query)."""
    rows = (
        resolved_between(start, end)
        .values("assignee", "assignee__display_name", "assignee__email")
        .annotate(**_figures())
        .order_by("assignee__display_name", "assignee")
    )
    return [
        AgentFigures(
            agent_id=row["assignee"],
            agent=row["assignee__display_name"] or row["assignee__email"] or "—",
            handled=row["handled"],
            first_response_avg=row["first_response_avg"],
            first_response_median=row["first_response_median"],
            resolution_avg=row["resolution_avg"],
            compliant=row["compliant"],
            rated=row["rated"],
            satisfaction=row["satisfaction"],
        )
        for row in rows
    ]


def team_figures(start: datetime.datetime, end: datetime.datetime) -> AgentFigures:
    """The same figures for the whole team (one query)."""
    row = resolved_between(start, end).aggregate(**_figures())
    return AgentFigures(agent_id=None, agent=str(_("Whole team")), **row)


def breach_counts(start: datetime.datetime, end: datetime.datetime) -> list[dict]:
    """Missed deadlines that fell due in the period, per ticket type and deadline, with
    the tickets opened in the period per type for scale (one query)."""
    counts = (
        TicketBreach.objects.filter(due_at__gte=start, due_at__lt=end)
        .values("ticket__type")
        .annotate(
            first_response=Count("pk", filter=Q(kind=TicketBreach.Kind.FIRST_RESPONSE)),
            resolution=Count("pk", filter=Q(kind=TicketBreach.Kind.RESOLUTION)),
        )
        .order_by("ticket__type")
    )
    found = {row["ticket__type"]: row for row in counts}
    return [
        {
            "type": label,
            "first_response": found.get(value, {}).get("first_response", 0),
            "resolution": found.get(value, {}).get("resolution", 0),
        }
        for value, label in Ticket.Type.choices
    ]
