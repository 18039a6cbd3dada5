"""The rules every after-sales step shares: who may act, the claim windows and what is
still claimable, the locked case and the timeline step, the case's links."""

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mall.statemachine import IllegalTransition, transition

from ...models import (
    AFTER_SALES_MACHINE,
    OPEN_AFTER_SALES,
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesStatusChange,
    Order,
)

logger = logging.getLogger("orders.aftersales")

Kind = AfterSalesCase.Kind
Reason = AfterSalesCase.Reason
Status = AfterSalesCase.Status

DECIDE = "orders.decide_aftersalescase"
INSPECT = "orders.inspect_aftersalescase"

# The goods were at fault: the seller pays the postage both ways.
FAULT_REASONS = frozenset(
    {
        Reason.QUALITY,
        Reason.DAMAGED,
        Reason.WRONG_ITEM,
        Reason.NOT_AS_DESCRIBED,
        Reason.MISSING,
    }
)
GOODS_COME_BACK = frozenset({Kind.RETURN, Kind.EXCHANGE, Kind.REPAIR})
MONEY_BACK = frozenset({Kind.RETURN, Kind.REFUND})
OPEN = OPEN_AFTER_SALES
CLAIMABLE_ORDERS = frozenset({Order.Status.DELIVERED, Order.Status.COMPLETED})
MAX_PHOTOS = 6
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")
# Carriers shoppers send goods back with (the case stores the code).
RETURN_CARRIERS = {
    "sf": gettext_lazy("SF Express"),
    "ems": gettext_lazy("China Post EMS"),
    "zto": gettext_lazy("ZTO Express"),
    "yto": gettext_lazy("YTO Express"),
    "sto": gettext_lazy("STO Express"),
    "yunda": gettext_lazy("Yunda Express"),
    "jd": gettext_lazy("JD Logistics"),
    "other": gettext_lazy("Other carrier"),
}


def carrier_label(code: str) -> str:
    return str(RETURN_CARRIERS.get(code, code))


@dataclass(frozen=True)
class FollowUp:
    """A decision and what followed it: ``problem`` says why the automatic next step (the
    refund, the replacement) did not happen and waits for a person ("" when it did or
    none was due)."""

    case: AfterSalesCase
    problem: str = ""


def case_url(case: AfterSalesCase) -> str:
    return reverse("aftersales:case_detail", args=[case.number])


def refund_key(case: AfterSalesCase) -> str:
    """The refund's idempotency key: one refund per case, however often it is asked for."""
    return f"aftersales-{case.number}"


def _require(actor, permission: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(permission):
        raise PermissionDenied


def _require_shopper(actor, case_or_order) -> None:
    if actor is None or actor.pk != case_or_order.user_id:
        raise PermissionDenied


def _locked(case: AfterSalesCase) -> tuple[Order, AfterSalesCase]:
    # Order first, then the case: the order of locks every after-sales step takes (and
    # every order service), so two steps never wait on each other crosswise.
    order = Order.objects.select_for_update().get(pk=case.order_id)
    locked = AfterSalesCase.objects.select_for_update().get(pk=case.pk)
    locked.order = order
    return order, locked


def _step(case, name, *, actor, reason="", update_fields=()) -> AfterSalesCase:
    return transition(
        case,
        AFTER_SALES_MACHINE,
        name,
        history=AfterSalesStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )


def _not_for_kind(case: AfterSalesCase, name: str):
    """``name`` is in the table from the case's state but not for its kind."""
    step = AFTER_SALES_MACHINE[name]
    allowed = [n for n in AFTER_SALES_MACHINE.allowed_from(case.status) if n != name]
    return IllegalTransition(case, step, case.status, allowed)


# --- Windows and what may still be claimed -------------------------------------------------


def window_days(*, kind: str, reason: str) -> int:
    """How many days after delivery a case of ``kind`` for ``reason`` may be asked for."""
    if kind == Kind.REPAIR:
        return settings.MALL_WARRANTY_DAYS
    if reason == Reason.NO_REASON:
        return settings.MALL_NO_REASON_RETURN_DAYS
    return settings.MALL_QUALITY_CLAIM_DAYS


def claim_deadline(order: Order, *, kind: str, reason: str) -> datetime.date | None:
    """The last day (the shop's local date) to ask: delivery day + the window, counted
    from the day after delivery as the consumer law counts (delivered on the 1st, a
    7-day window ends on the 8th). None while the order is not delivered."""
    if order.delivered_at is None:
        return None
    delivered_on = timezone.localdate(order.delivered_at)
    return delivered_on + datetime.timedelta(days=window_days(kind=kind, reason=reason))


def upheld_cases() -> QuerySet[AfterSalesCase]:
    """Cases that were not rejected (at any time, also closed afterwards) or withdrawn."""
    rejected = AfterSalesStatusChange.objects.filter(subject=OuterRef("pk"), transition="reject")
    return AfterSalesCase.objects.exclude(status__in=[Status.REJECTED, Status.WITHDRAWN]).exclude(
        Exists(rejected)
    )


def claimed_units(order: Order) -> dict[int, int]:
    """Units of each order line (by pk) that live cases cover: returns and refunds for
    good, exchanges and repairs while they are open (the replaced or repaired goods can
    be claimed again)."""
    covering = upheld_cases().filter(Q(kind__in=MONEY_BACK) | Q(status__in=OPEN))
    rows = (
        AfterSalesLine.objects.filter(order_line__order=order, case__in=covering)
        .values("order_line")
        .annotate(units=Sum("quantity"))
        .values_list("order_line", "units")
    )
    return dict(rows)


def claimable_units(order: Order) -> dict[int, int]:
    """Units of each order line (by pk) a new case may still ask about."""
    claimed = claimed_units(order)
    return {line.pk: line.quantity - claimed.get(line.pk, 0) for line in order.lines.all()}
