"""Membership tiers: who holds which tier, recomputed in SQL.

The figures of a member are paid spend net of refunds (orders that were sales, placed in
the last 12 months, less what their after-sales cases refunded) and the number of those
orders. The tier they reach is the highest whose thresholds both are met.

- A paid order lifts the shopper at once (``refresh_member``, from the payment's hook):
  upgrades only, never a downgrade in the middle of a payment.
- The nightly job (``recompute_tiers``) recomputes every member in ONE SQL statement (a
  data-modifying CTE: figures by GROUP BY, the tier reached, the decision, the UPDATE and
  the history rows), no per-member Python loop. A member whose figures fall below the
  tier held keeps it for ``MALL_TIER_GRACE_DAYS`` (``downgrade_on`` is set and the
  shopper told once), and moves down only when that day comes with the figures still
  short; figures that recover cancel the downgrade.
- Every change of tier is a ``TierChange`` row with its reason, written by the same
  statement that changes the tier.
- ``is_vip`` on the account follows the top tier unless an operator set
  ``Membership.vip_override`` (a hand-set VIP from before tiers became an override).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Notification, User
from customers.services import notify
from orders.models import SOLD

from ...exceptions import MembershipError
from ...models import Membership, Tier, TierChange

WINDOW_DAYS = 365

_ENSURE = """
INSERT INTO marketing_membership
    (user_id, tier_id, qualified_tier_id, spend_12m, orders_12m, vip_override, computed_at)
SELECT u.id, base.id, base.id, 0, 0, CASE WHEN u.is_vip THEN TRUE END, %(now)s
FROM customers_user u
CROSS JOIN (SELECT id FROM marketing_tier ORDER BY rank LIMIT 1) base
WHERE NOT u.is_staff {only_user}
ON CONFLICT (user_id) DO NOTHING
"""

# One statement: figures, tier reached, decision, update, VIP flag, history.
# ``%(downgrade)s`` is false for the payment's refresh (upgrades only).
_RECOMPUTE = """
WITH refunded AS (
    SELECT c.order_id, SUM(c.refund_amount + c.shipping_refund) AS amount
    FROM orders_aftersalescase c
    JOIN orders_order o ON o.id = c.order_id
    WHERE c.refund_amount IS NOT NULL AND o.placed_at >= %(since)s {only_order_user}
    GROUP BY c.order_id
), figures AS (
    SELECT o.user_id,
           SUM(o.total) - COALESCE(SUM(r.amount), 0) AS spend,
           COUNT(*) AS orders
    FROM orders_order o
    LEFT JOIN refunded r ON r.order_id = o.id
    WHERE o.status = ANY(%(sold)s) AND o.placed_at >= %(since)s {only_order_user}
    GROUP BY o.user_id
), members AS (
    SELECT m.user_id, m.tier_id AS old_tier, held.rank AS old_rank,
           m.downgrade_on AS old_downgrade_on,
           COALESCE(f.spend, 0) AS spend, COALESCE(f.orders, 0) AS orders,
           q.id AS q_tier, q.rank AS q_rank
    FROM marketing_membership m
    JOIN marketing_tier held ON held.id = m.tier_id
    LEFT JOIN figures f ON f.user_id = m.user_id
    CROSS JOIN LATERAL (
        SELECT t.id, t.rank FROM marketing_tier t
        WHERE t.min_spend <= COALESCE(f.spend, 0) AND t.min_orders <= COALESCE(f.orders, 0)
        ORDER BY t.rank DESC LIMIT 1
    ) q
    WHERE TRUE {only_member}
), decided AS (
    SELECT *,
        CASE WHEN q_rank >= old_rank THEN q_tier
             WHEN %(downgrade)s AND old_downgrade_on <= %(today)s THEN q_tier
             ELSE old_tier END AS new_tier,
        CASE WHEN q_rank >= old_rank THEN NULL
             WHEN NOT %(downgrade)s THEN old_downgrade_on
             WHEN old_downgrade_on <= %(today)s THEN NULL
             ELSE COALESCE(old_downgrade_on, %(grace_end)s) END AS new_downgrade_on
    FROM members
), updated AS (
    UPDATE marketing_membership m
    SET tier_id = d.new_tier, qualified_tier_id = d.q_tier, spend_12m = d.spend,
        orders_12m = d.orders, downgrade_on = d.new_downgrade_on, computed_at = %(now)s
    FROM decided d
    WHERE m.user_id = d.user_id
      -- Only what changed is written: most members' figures stay as they were overnight.
      AND (m.tier_id, m.qualified_tier_id, m.spend_12m, m.orders_12m, m.downgrade_on)
          IS DISTINCT FROM (d.new_tier, d.q_tier, d.spend, d.orders, d.new_downgrade_on)
    RETURNING m.user_id, d.old_tier, d.old_rank, m.tier_id, d.q_rank, d.old_downgrade_on,
              m.downgrade_on, m.spend_12m, m.orders_12m, m.vip_override
), vip AS (
    UPDATE customers_user u
    SET is_vip = COALESCE(up.vip_override, t.rank = (SELECT MAX(rank) FROM marketing_tier))
    FROM updated up
    JOIN marketing_tier t ON t.id = up.tier_id
    WHERE u.id = up.user_id
      AND u.is_vip IS DISTINCT FROM
          COALESCE(up.vip_override, t.rank = (SELECT MAX(rank) FROM marketing_tier))
    RETURNING u.id
), history AS (
    INSERT INTO marketing_tierchange
        (user_id, from_tier_id, to_tier_id, reason, spend_12m, orders_12m, created_at)
    SELECT user_id, old_tier, tier_id,
           CASE WHEN q_rank > old_rank THEN %(up_reason)s ELSE %(down_reason)s END,
           spend_12m, orders_12m, %(now)s
    FROM updated WHERE tier_id <> old_tier
    RETURNING user_id
)
SELECT user_id, old_tier, tier_id, downgrade_on
FROM updated
WHERE tier_id <> old_tier OR (downgrade_on IS NOT NULL AND old_downgrade_on IS NULL)
"""


@dataclass(frozen=True)
class Recompute:
    members: int
    upgraded: int
    downgraded: int
    grace_started: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def _run(*, user_id: int | None, downgrade: bool, now) -> list[tuple]:
    """Memberships for shoppers without one, then THE statement; returns the rows of the
    members whose tier changed or whose downgrade was just scheduled."""
    today = timezone.localdate(now)
    params = {
        "now": now,
        "today": today,
        "since": now - datetime.timedelta(days=WINDOW_DAYS),
        "sold": list(SOLD),
        "downgrade": downgrade,
        "grace_end": today + datetime.timedelta(days=settings.MALL_TIER_GRACE_DAYS),
        "up_reason": TierChange.Reason.RECOMPUTE_UP if downgrade else TierChange.Reason.ORDER_PAID,
        "down_reason": TierChange.Reason.GRACE_ENDED,
        "user": user_id,
    }
    one = user_id is not None
    with connection.cursor() as cursor:
        cursor.execute(_ENSURE.format(only_user="AND u.id = %(user)s" if one else ""), params)
        cursor.execute(
            _RECOMPUTE.format(
                only_order_user="AND o.user_id = %(user)s" if one else "",
                only_member="AND m.user_id = %(user)s" if one else "",
            ),
            params,
        )
        return cursor.fetchall()


def _messages(changes) -> list[tuple[int, str, str]]:
    """(user id, title, body) for each shopper whose tier moved, or whose downgrade was
    just scheduled."""
    if not changes:
        return []
    tiers = Tier.objects.in_bulk()
    said = []
    for user_id, old_tier, new_tier, downgrade_on in changes:
        old, new = tiers[old_tier], tiers[new_tier]
        if new.rank > old.rank:
            title = _("Welcome to %(tier)s") % {"tier": new}
            body = _("Your membership is now %(tier)s; see its benefits in your member centre.") % {
                "tier": new
            }
        elif new.rank < old.rank:
            title = _("Your membership is now %(tier)s") % {"tier": new}
            body = _("Your spend over the last 12 months is below what %(old)s asks.") % {
                "old": old
            }
        elif downgrade_on is not None:
            title = _("Keep your %(tier)s membership") % {"tier": old}
            body = _(
                "Your spend over the last 12 months is below what %(tier)s asks. You keep "
                "it until %(date)s; orders paid before then count."
            ) % {"tier": old, "date": downgrade_on.isoformat()}
        else:
            continue
        said.append((user_id, title, body))
    return said


def _count(changes) -> tuple[int, int, int]:
    ranks = dict(Tier.objects.values_list("pk", "rank")) if changes else {}
    up = sum(1 for _u, old, new, _d in changes if ranks[new] > ranks[old])
    down = sum(1 for _u, old, new, _d in changes if ranks[new] < ranks[old])
    grace = sum(1 for _u, old, new, due in changes if old == new and due is not None)
    return up, down, grace


def recompute_tiers(*, now=None) -> Recompute:
    """The nightly job's work: every shopper gets a membership (the entry tier), and every
    member's figures, tier reached, tier held, scheduled downgrade and VIP flag are
    recomputed in one SQL statement, with a ``TierChange`` per change; the shoppers
    concerned are told. Idempotent: a second run the same day changes nothing and tells
    nobody. Raises ``MembershipError`` when no tier is configured."""
    now = now or timezone.now()
    if not Tier.objects.exists():
        raise MembershipError(_("No membership tier is configured."))
    with transaction.atomic():
        changes = _run(user_id=None, downgrade=True, now=now)
        # The messages in one INSERT (a night's changes can be many): on the account page.
        link = reverse("membership:centre")
        Notification.objects.bulk_create(
            Notification(user_id=user_id, title=title[:120], body=body, link=link)
            for user_id, title, body in _messages(changes)
        )
        up, down, grace = _count(changes)
        members = Membership.objects.count()
    return Recompute(members=members, upgraded=up, downgraded=down, grace_started=grace)


def refresh_member(*, user_id: int, now=None) -> None:
    """One shopper's figures recomputed by the same statement, upgrades only (a paid order
    lifts the tier at once; downgrades wait for the nightly job and its grace). Runs in
    the caller's transaction (the payment's): two statements, and the shopper's message
    when the tier moved. Nothing for a staff account or without tiers."""
    changes = _run(user_id=user_id, downgrade=False, now=now or timezone.now())
    if changes:
        user = User.objects.get(pk=user_id)
        for _user_id, title, body in _messages(changes):
            notify(user=user, title=title, body=body, link=reverse("membership:centre"))


def on_order_paid(*, order) -> None:
    """The payment hook: the order's shopper may reach a higher tier."""
    refresh_member(user_id=order.user_id)


@transaction.atomic
def set_tier(*, user, tier: Tier, actor, vip_override: bool | None = None) -> Membership:
    """An operator sets a member's tier by hand (an exception): the change is a
    ``TierChange`` with the operator as actor; the nightly job keeps it until the figures
    say otherwise after the grace period. Raises ``MembershipError`` for a staff account."""
    if user.is_staff:
        raise MembershipError(_("Staff accounts are not members."))
    refresh_member(user_id=user.pk)
    membership = Membership.objects.select_for_update().get(user=user)
    if membership.tier_id != tier.pk:
        TierChange.objects.create(
            user=user,
            from_tier_id=membership.tier_id,
            to_tier=tier,
            reason=TierChange.Reason.MANUAL,
            spend_12m=membership.spend_12m,
            orders_12m=membership.orders_12m,
            actor=actor,
        )
        membership.tier = tier
        membership.downgrade_on = None
    membership.vip_override = vip_override
    membership.save(update_fields=["tier", "downgrade_on", "vip_override"])
    User.objects.filter(pk=user.pk).update(
        is_vip=vip_override if vip_override is not None else tier.rank == _top_rank()
    )
    return membership


def _top_rank() -> int:
    return Tier.objects.order_by("-rank").values_list("rank", flat=True).first() or 0


def tier_of(user) -> Tier | None:
    """The tier a shopper holds (one query); None for a guest or without membership yet:
    then the entry tier's benefits apply."""
    if user is None or not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user).select_related("tier").first()
    if membership is not None:
        return membership.tier
    return Tier.objects.order_by("rank").first()
