"""What the member centre shows (page and API): the tier held with its benefits and the
progress to the next, the points balance, the latest entries and what ends soon. A fixed
number of queries whatever the history's length."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from mall.money import ZERO

from ..models import Membership, PointsEntry, Tier
from ..services.loyalty import balance_of, expiring_soon

HISTORY_ROWS = 50


@dataclass(frozen=True)
class Progress:
    next_tier: Tier | None
    spend_needed: Decimal
    orders_needed: int
    percent: int


@dataclass(frozen=True)
class MemberCentre:
    tier: Tier | None
    spend_12m: Decimal
    orders_12m: int
    downgrade_on: object
    progress: Progress
    tiers: list[Tier]
    balance: int
    entries: list[PointsEntry]
    expiring_points: int
    expiring_on: object


def _progress(tier, tiers, spend, orders) -> Progress:
    above = [t for t in tiers if tier is None or t.rank > tier.rank]
    if not above:
        return Progress(None, ZERO, 0, 100)
    nxt = above[0]
    spend_needed = max(ZERO, nxt.min_spend - spend)
    orders_needed = max(0, nxt.min_orders - orders)
    parts = []
    if nxt.min_spend > 0:
        parts.append(min(Decimal(1), spend / nxt.min_spend))
    if nxt.min_orders > 0:
        parts.append(min(Decimal(1), Decimal(orders) / nxt.min_orders))
    percent = int(min(parts) * 100) if parts else 100
    return Progress(nxt, spend_needed, orders_needed, percent)


def member_centre(user) -> MemberCentre:
    tiers = list(Tier.objects.order_by("rank"))
    membership = Membership.objects.filter(user=user).select_related("tier").first()
    if membership is not None:
        tier, spend, orders = membership.tier, membership.spend_12m, membership.orders_12m
        downgrade_on = membership.downgrade_on
    else:
        tier, spend, orders, downgrade_on = (tiers[0] if tiers else None), ZERO, 0, None
    entries = list(
        PointsEntry.objects.filter(user=user)
        .select_related("order")
        .order_by("-created_at", "-pk")[:HISTORY_ROWS]
    )
    expiring, on = expiring_soon(user, today=timezone.localdate())
    return MemberCentre(
        tier=tier,
        spend_12m=spend,
        orders_12m=orders,
        downgrade_on=downgrade_on,
        progress=_progress(tier, tiers, spend, orders),
        tiers=tiers,
        balance=balance_of(user),
        entries=entries,
        expiring_points=expiring,
        expiring_on=on,
    )
