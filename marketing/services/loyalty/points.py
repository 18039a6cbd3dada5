"""Points (积分): an append-only ledger and a balance the database keeps non-negative.

Every move is one ``PointsEntry`` with a unique key and one conditional UPDATE of the
shopper's ``PointsAccount`` (``balance + points >= 0``, a CHECK behind it) in the same
transaction, so a retried step moves nothing twice and two checkouts spending the same
points cannot both succeed: the second UPDATE waits for the first's row lock, then finds
too little and refuses. ``reconcile_points`` checks that every balance equals the sum of
its entries and reports drift, never "fixing" it.

Positive entries are lots expiring at the end of the year after the one they were made
in; spending and expiry use the oldest lots first, so what expires by a day is what the
lots expiring by then brought, less everything taken out so far (never below zero).
"""

import datetime
import logging
import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import User
from customers.services import notify
from mall.money import CENT, ZERO, to_money
from orders.exceptions import OrderRefused
from orders.models import OPEN_AFTER_SALES, AfterSalesCase, Order, OrderLineDiscount
from orders.services.aftersales import claim_deadline, refund_units

from ...exceptions import PointsRefused
from ...models import PointsAccount, PointsEntry
from .tiers import tier_of

logger = logging.getLogger("marketing.points")

POINTS_SOURCE = "points"
Kind = PointsEntry.Kind


def lot_expiry(on: datetime.date) -> datetime.date:
    """Points made on ``on`` expire at the end of the following year."""
    return datetime.date(on.year + 1, 12, 31)


def money_for(points: int) -> Decimal:
    """What ``points`` pay at checkout, to the cent below."""
    return (Decimal(points) / settings.MALL_POINTS_REDEEM_RATE).quantize(CENT, rounding=ROUND_DOWN)


def points_for(amount: Decimal) -> int:
    """The points that pay ``amount`` (rounded up: points never pay more than they buy)."""
    return math.ceil(Decimal(amount) * settings.MALL_POINTS_REDEEM_RATE)


def balance_of(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return PointsAccount.objects.filter(user=user).values_list("balance", flat=True).first() or 0


def _move(
    *, user_id, kind, points: int, key: str, order=None, actor=None, reason="", today=None
) -> bool:
    """One entry and the balance moved with it, in a savepoint; False when ``key`` was
    used already (done before). Raises ``PointsRefused`` when the balance would fall below
    zero (nothing written)."""
    if points == 0:
        return False
    today = today or timezone.localdate()
    PointsAccount.objects.bulk_create([PointsAccount(user_id=user_id)], ignore_conflicts=True)
    try:
        with transaction.atomic():
            PointsEntry.objects.create(
                user_id=user_id,
                kind=kind,
                points=points,
                key=key[:120],
                order=order,
                actor=actor,
                reason=str(reason)[:200],
                expires_on=lot_expiry(today) if points > 0 else None,
            )
            account = PointsAccount.objects.filter(pk=user_id)
            if points < 0:
                account = account.filter(balance__gte=-points)
            moved = account.update(balance=F("balance") + points)
            if not moved:
                raise PointsRefused(
                    _("You have %(balance)s points, fewer than the %(points)s asked for.")
                    % {"balance": balance_of_id(user_id), "points": -points},
                    code="not_enough",
                    balance=balance_of_id(user_id),
                )
    except IntegrityError:
        if PointsEntry.objects.filter(key=key[:120]).exists():
            return False
        raise
    return True


def balance_of_id(user_id) -> int:
    return PointsAccount.objects.filter(pk=user_id).values_list("balance", flat=True).first() or 0


# --- Checkout: spent on an order, back on cancellation and refunds ------------------------------


def redeem_for_order(*, order, amount: Decimal, user) -> int:
    """Take the points that pay ``amount`` of ``order`` (the placement's "points"
    discount), once per order. Raises ``OrderRefused`` when the balance no longer covers
    them (another checkout spent them first): the placement then writes nothing."""
    points = points_for(amount)
    try:
        _move(
            user_id=user.pk,
            kind=Kind.REDEEM,
            points=-points,
            key=f"redeem:{order.pk}",
            order=order,
            actor=user,
        )
    except PointsRefused as refused:
        raise OrderRefused(
            [
                _(
                    "Your points changed since the page was shown (%(balance)s left): check "
                    "the amounts and place the order again."
                )
                % {"balance": refused.balance}
            ]
        ) from refused
    return points


def _redeemed_left(order) -> int:
    """Points spent on ``order`` and not given back yet."""
    net = PointsEntry.objects.filter(
        order=order, kind__in=[Kind.REDEEM, Kind.RELEASE, Kind.REVERSE]
    ).aggregate(net=Sum("points"))["net"]
    return -(net or 0)


def release_for_order(*, order) -> int:
    """The order is cancelled: the points spent on it come back, once. Returns them."""
    left = _redeemed_left(order)
    if left > 0 and _move(
        user_id=order.user_id,
        kind=Kind.RELEASE,
        points=left,
        key=f"release:{order.pk}",
        order=order,
        reason=_("Order %(number)s cancelled") % {"number": order.number},
    ):
        return left
    return 0


def reverse_for_case(*, case) -> int:
    """A refund of an after-sales case: the points that paid the refunded units come
    back, in proportion (each line's points share × refunded units / units of the line),
    never more than the order spent and has not had back. Once per case."""
    order = case.order
    shares = dict(
        OrderLineDiscount.objects.filter(line__order=order, source=POINTS_SOURCE).values_list(
            "line_id", "amount"
        )
    )
    if not shares:
        return 0
    money = Decimal(0)
    for line in case.lines.select_related("order_line"):
        share = shares.get(line.order_line_id)
        if share:
            money += share * refund_units(line, case.kind) / line.order_line.quantity
    points = min(
        int((money * settings.MALL_POINTS_REDEEM_RATE).quantize(Decimal(1), ROUND_HALF_UP)),
        _redeemed_left(order),
    )
    if points > 0 and _move(
        user_id=order.user_id,
        kind=Kind.REVERSE,
        points=points,
        key=f"reverse:{case.pk}",
        order=order,
        reason=_("After-sales case %(number)s refunded") % {"number": case.number},
    ):
        return points
    return 0


# --- Earning: once the order can no longer be returned ---------------------------------------


def _window_closed_by(today: datetime.date) -> datetime.date:
    """Orders delivered on or before this day can no longer be returned for money."""
    days = max(settings.MALL_NO_REASON_RETURN_DAYS, settings.MALL_QUALITY_CLAIM_DAYS)
    return today - datetime.timedelta(days=days + 1)


def orders_due_points(*, now=None):
    """Delivered or completed orders whose return windows closed, without an open
    after-sales case, that earned nothing yet."""
    now = now or timezone.now()
    cutoff = timezone.make_aware(
        datetime.datetime.combine(_window_closed_by(timezone.localdate(now)), datetime.time.max)
    )
    open_cases = AfterSalesCase.objects.filter(status__in=OPEN_AFTER_SALES)
    earned = PointsEntry.objects.filter(kind=Kind.EARN, order__isnull=False)
    return (
        Order.objects.filter(
            status__in=[Order.Status.DELIVERED, Order.Status.COMPLETED], delivered_at__lte=cutoff
        )
        .exclude(pk__in=open_cases.values("order_id"))
        .exclude(pk__in=earned.values("order_id"))
        .filter(user__is_staff=False)
    )


def points_earned(order) -> int:
    """What ``order`` earns: the goods paid (after discounts) less what its cases
    refunded, per yuan, times the tier's multiplier, rounded down."""
    goods_paid = order.goods_total - (order.discount_total - order.shipping_discount)
    refunded = (
        AfterSalesCase.objects.filter(order=order, refund_amount__isnull=False).aggregate(
            total=Sum("refund_amount")
        )["total"]
        or ZERO
    )
    base = max(ZERO, to_money(goods_paid - refunded))
    tier = tier_of(order.user)
    multiplier = tier.points_multiplier if tier is not None else Decimal(1)
    return int(base * settings.MALL_POINTS_PER_YUAN * multiplier)


def award_points(*, now=None, limit: int = 2000) -> int:
    """The hourly job's work: each order that can no longer be returned earns its points,
    once (the entry's key is the order), each in its own transaction, checked again under
    the order's lock. Returns how many orders earned."""
    now = now or timezone.now()
    awarded = 0
    for pk in list(orders_due_points(now=now).order_by("pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            order = Order.objects.select_for_update().select_related("user").get(pk=pk)
            if not orders_due_points(now=now).filter(pk=pk).exists():
                continue
            deadline = claim_deadline(order, kind="return", reason="quality")
            points = points_earned(order)
            if points > 0 and _move(
                user_id=order.user_id,
                kind=Kind.EARN,
                points=points,
                key=f"earn:{order.pk}",
                order=order,
                reason=_("Order %(number)s (returns closed %(date)s)")
                % {"number": order.number, "date": deadline},
                today=timezone.localdate(now),
            ):
                awarded += 1
    return awarded


# --- Operators --------------------------------------------------------------------------------


def adjust_points(*, user, points: int, reason: str, actor) -> PointsEntry:
    """An operator adds (or takes, negative) points by hand with a reason. Raises
    ``PointsRefused`` without the permission, without a reason, or when it would take
    more than the balance."""
    if actor is None or not actor.has_perm("marketing.adjust_pointsentry"):
        raise PointsRefused(_("You may not adjust points."), code="forbidden")
    if not str(reason).strip():
        raise PointsRefused(_("Say why the points are adjusted."), code="reason")
    if points == 0:
        raise PointsRefused(_("Adjust by at least one point."), code="zero")
    with transaction.atomic():
        key = f"adjust:{user.pk}:{timezone.now().timestamp()}:{actor.pk}"
        _move(user_id=user.pk, kind=Kind.ADJUST, points=points, key=key, actor=actor, reason=reason)
        return PointsEntry.objects.get(key=key)


# --- Expiry, reminders, birthday gifts, reconciliation -----------------------------------------

_LOCK_DUE = """
SELECT a.user_id FROM marketing_pointsaccount a
WHERE a.balance > 0 AND EXISTS (
    SELECT 1 FROM marketing_pointsentry e
    WHERE e.user_id = a.user_id AND e.points > 0 AND e.expires_on < %(today)s)
ORDER BY a.user_id FOR UPDATE
"""

# What the lots expiring by ``until`` still hold per shopper (oldest lots used first).
_HELD_BY = """
SELECT user_id,
       SUM(CASE WHEN points > 0 AND expires_on {cmp} %(until)s THEN points ELSE 0 END)
       + SUM(CASE WHEN points < 0 THEN points ELSE 0 END) AS held
FROM marketing_pointsentry
WHERE user_id IN (
    SELECT user_id FROM marketing_pointsentry
    WHERE points > 0 AND expires_on {cmp} %(until)s {window})
GROUP BY user_id
"""

_EXPIRE = """
WITH due AS ({held}), written AS (
    INSERT INTO marketing_pointsentry (user_id, kind, points, key, reason, created_at)
    SELECT user_id, 'expire', -held, 'expire:' || user_id || ':' || %(today)s::text,
           %(reason)s, %(now)s
    FROM due WHERE held > 0
    ON CONFLICT (key) DO NOTHING
    RETURNING user_id, points
)
UPDATE marketing_pointsaccount a SET balance = a.balance + w.points
FROM written w WHERE a.user_id = w.user_id
RETURNING a.user_id, -w.points
"""


def expire_points(*, now=None) -> dict[str, int]:
    """The nightly job's work: points of lots past their end (``expires_on`` before today)
    that were not used expire, one ``expire`` entry per shopper and day, set-based in SQL
    (accounts locked in user order first, so a checkout spending at once waits or is
    waited for). A second run the same day writes nothing. Returns shoppers and points."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    params = {"today": today, "until": today, "now": now, "reason": "lots ended"}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_DUE, params)
        cursor.execute(_EXPIRE.format(held=_HELD_BY.format(cmp="<", window="")), params)
        rows = cursor.fetchall()
    return {"shoppers": len(rows), "points": sum(points for _user, points in rows)}


def next_expiry(today: datetime.date) -> datetime.date:
    """The next day lots end on (lots end on 31 December)."""
    return datetime.date(today.year, 12, 31)


def expiring_soon(user, *, today=None) -> tuple[int, datetime.date]:
    """Points of ``user`` that end on the next expiry day, and that day."""
    today = today or timezone.localdate()
    until = next_expiry(today)
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_BY.format(cmp="<=", window="AND user_id = %(user)s"),
            {"until": until, "user": user.pk},
        )
        row = cursor.fetchone()
    return (max(row[1], 0) if row else 0), until


_REMIND = """
WITH due AS ({held})
INSERT INTO marketing_pointsreminder (user_id, expires_on, points, sent_at)
SELECT user_id, %(until)s, held, %(now)s FROM due WHERE held > 0
ON CONFLICT (user_id, expires_on) DO NOTHING RETURNING user_id, points
"""


def remind_expiring_points(*, now=None) -> int:
    """The daily job's work: within ``MALL_POINTS_REMIND_DAYS`` of 31 December, each
    shopper whose points end then is told once (a ``PointsReminder`` per shopper and day,
    claimed by INSERT .. ON CONFLICT DO NOTHING before the message). Returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    until = next_expiry(today)
    if (until - today).days > settings.MALL_POINTS_REMIND_DAYS:
        return 0
    sql = _REMIND.format(held=_HELD_BY.format(cmp="<=", window=""))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"until": until, "now": now})
            rows = cursor.fetchall()
        users = User.objects.in_bulk([user_id for user_id, _points in rows])
        for user_id, points in rows:
            notify(
                user=users[user_id],
                title=_("%(points)s points end on %(date)s") % {"points": points, "date": until},
                body=_("Spend them at checkout before then: %(rate)s points pay ¥1.")
                % {"rate": settings.MALL_POINTS_REDEEM_RATE},
                link=reverse("membership:centre"),
            )
    return len(rows)


def birthday_gifts(*, now=None) -> int:
    """The daily job's work: shoppers who agreed to marketing messages get the birthday
    gift (``MALL_BIRTHDAY_GIFT_POINTS``) on their birthday (29 February: on the 28th in
    other years), or any day of its month with ``MALL_BIRTHDAY_GIFT_ON=month``, once a
    year (the entry's key is the shopper and the year), with a greeting. Returns how many."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    points = settings.MALL_BIRTHDAY_GIFT_POINTS
    if points <= 0:
        return 0
    shoppers = User.objects.filter(
        is_active=True, is_staff=False, marketing_consent=True, birthday__month=today.month
    )
    if settings.MALL_BIRTHDAY_GIFT_ON != "month":
        days = [today.day]
        if today.month == 2 and today.day == 28 and not _leap(today.year):
            days.append(29)
        shoppers = shoppers.filter(birthday__day__in=days)
    given = 0
    for user in shoppers.order_by("pk")[:10000]:
        with transaction.atomic():
            if _move(
                user_id=user.pk,
                kind=Kind.GIFT,
                points=points,
                key=f"birthday:{user.pk}:{today.year}",
                reason=_("Birthday gift %(year)s") % {"year": today.year},
                today=today,
            ):
                notify(
                    user=user,
                    title=_("Happy birthday!"),
                    body=_("%(points)s points are our gift to you this year.") % {"points": points},
                    link=reverse("membership:centre"),
                )
                given += 1
    return given


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@dataclass(frozen=True)
class Drift:
    user_id: int
    balance: int
    ledger: int


def reconcile_points() -> list[Drift]:
    """Every balance against the sum of its ledger (one query); drift is logged and
    returned, never "fixed" (a person looks)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.user_id, a.balance, COALESCE(SUM(e.points), 0)
            FROM marketing_pointsaccount a
            LEFT JOIN marketing_pointsentry e ON e.user_id = a.user_id
            GROUP BY a.user_id, a.balance
            HAVING a.balance <> COALESCE(SUM(e.points), 0)
            """
        )
        drift = [Drift(*row) for row in cursor.fetchall()]
    for row in drift:
        logger.error(
            "points balance drift",
            extra={"user": row.user_id, "balance": row.balance, "ledger": row.ledger},
        )
    return drift
