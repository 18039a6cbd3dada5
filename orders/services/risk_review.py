"""Risk review: orders that look risky wait for an operator before fulfilment.

``flag_if_risky`` runs when an order is placed; every rule that fires is kept as a reason
for the operator. An operator then approves (``approve_review``) or cancels the order
with a reason (``ordering.cancel_order``, which refunds a paid order).
"""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.validators import normalize_mobile

from ..exceptions import OrderError
from ..models import SOLD, BlockedContact, Order, OrderStatusChange

# Flagged and not passed yet, while the order can still be paid or go to fulfilment.
AWAITING_REVIEW = Q(
    needs_review=True,
    reviewed_at__isnull=True,
    status__in=[Order.Status.PENDING_PAYMENT, Order.Status.PAID],
)


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def risk_reasons(order: Order) -> list[str]:
    """Every reason ``order`` should be looked at by an operator (three queries)."""
    reasons = []
    most = max((line.quantity for line in order.lines.all()), default=0)
    if most > settings.MALL_REVIEW_MAX_QUANTITY:
        reasons.append(
            _("Unusual quantity: %(quantity)s of one item (more than %(limit)s).")
            % {"quantity": most, "limit": settings.MALL_REVIEW_MAX_QUANTITY}
        )
    phones = {order.mobile}
    if order.user.phone:
        phones.add(normalize_mobile(order.user.phone))
    address = _compact(f"{order.province}{order.city}{order.district}{order.street}")
    for blocked in BlockedContact.objects.filter(is_active=True).filter(
        Q(kind=BlockedContact.Kind.PHONE, value__in=phones) | Q(kind=BlockedContact.Kind.ADDRESS)
    ):
        if blocked.kind == BlockedContact.Kind.PHONE:
            reasons.append(
                _("The mobile number %(phone)s is blocked: %(reason)s")
                % {"phone": blocked.value, "reason": blocked.reason}
            )
        elif _compact(blocked.value) and _compact(blocked.value) in address:
            reasons.append(
                _("The address contains the blocked “%(fragment)s”: %(reason)s")
                % {"fragment": blocked.value, "reason": blocked.reason}
            )
    average = (
        Order.objects.filter(user=order.user, status__in=SOLD)
        .exclude(pk=order.pk)
        .aggregate(average=Avg("total"))["average"]
    )
    if average is None:
        if order.total > Decimal(settings.MALL_REVIEW_FIRST_ORDER_TOTAL):
            reasons.append(
                _("A first order of %(total)s, above %(limit)s.")
                % {"total": order.total, "limit": settings.MALL_REVIEW_FIRST_ORDER_TOTAL}
            )
    else:
        factor = Decimal(settings.MALL_REVIEW_TOTAL_FACTOR)
        # Small totals are never "far above": 8 yuan after an average of 1 is not a risk.
        if order.total > average * factor and order.total > Decimal(settings.MALL_REVIEW_MIN_TOTAL):
            reasons.append(
                _("A total of %(total)s, more than %(factor)s× this shopper's average %(average)s.")
                % {"total": order.total, "factor": factor, "average": round(average, 2)}
            )
    return reasons


def flag_if_risky(*, order: Order) -> bool:
    """Mark ``order`` for review when any rule fires, keeping the reasons; returns
    whether it was flagged. Runs inside ``place_order``'s transaction."""
    reasons = risk_reasons(order)
    if reasons:
        order.needs_review = True
        order.review_reasons = reasons
        order.save(update_fields=["needs_review", "review_reasons"])
    return bool(reasons)


def awaiting_review(order: Order) -> bool:
    """``AWAITING_REVIEW`` for one order in memory."""
    return (
        order.needs_review
        and order.reviewed_at is None
        and order.status in (Order.Status.PENDING_PAYMENT, Order.Status.PAID)
    )


@transaction.atomic
def approve_review(*, order: Order, actor, note: str = "") -> Order:
    """An operator releases a flagged order to fulfilment; recorded on the timeline.
    Raises ``OrderError`` when the order does not await review (or was cancelled)."""
    approved = Order.objects.filter(AWAITING_REVIEW, pk=order.pk).update(
        reviewed_by=actor, reviewed_at=timezone.now()
    )
    if not approved:
        raise OrderError(_("Order %(number)s does not await review.") % {"number": order})
    order.refresh_from_db()
    OrderStatusChange.objects.create(
        subject=order,
        transition="approve_review",
        from_state=order.status,
        to_state=order.status,
        actor=actor,
        reason=note.strip() or _("review passed"),
    )
    return order
