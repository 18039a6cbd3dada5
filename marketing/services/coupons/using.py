"""A coupon on an order: locked to it at placement (one live order per coupon, by a
conditional UPDATE and a partial unique index), given back when the order is cancelled,
and on a full refund when its template says so; never twice."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import OrderRefused

from ...models import Coupon, CouponUse


def lock_for_order(*, order, coupon_id: int, user, now=None) -> Coupon:
    """Mark the shopper's coupon used by ``order``, in the placement's transaction. Two
    orders placed at once with one coupon: one UPDATE wins, the other order is refused
    (``OrderRefused``) and writes nothing."""
    now = now or timezone.now()
    taken = (
        Coupon.objects.filter(
            pk=coupon_id,
            user=user,
            status=Coupon.Status.AVAILABLE,
            valid_until__gt=now,
            order__isnull=True,
        )
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .update(status=Coupon.Status.USED, order=order, used_at=now)
    )
    if not taken:
        raise OrderRefused(
            [_("The coupon you chose was just used on another order or has expired: choose again.")]
        )
    CouponUse.objects.create(coupon_id=coupon_id, order=order, used_at=now)
    return Coupon.objects.get(pk=coupon_id)


def release_for_order(*, order, reason: str, now=None) -> Coupon | None:
    """Give the coupon of ``order`` back to its shopper's wallet (usable again until it
    expires; expired already, it goes back expired). Idempotent: a second call finds no
    coupon on the order. Returns the coupon given back, if any."""
    now = now or timezone.now()
    coupon = Coupon.objects.select_for_update().filter(order=order).first()
    if coupon is None:
        return None
    status = Coupon.Status.AVAILABLE if coupon.valid_until > now else Coupon.Status.EXPIRED
    Coupon.objects.filter(pk=coupon.pk, order=order, status=Coupon.Status.USED).update(
        status=status, order=None, used_at=None, reminded_at=None
    )
    CouponUse.objects.filter(coupon=coupon, order=order, released_at__isnull=True).update(
        released_at=now, release_reason=reason[:20]
    )
    coupon.refresh_from_db()
    return coupon


def return_on_full_refund(*, order) -> Coupon | None:
    """An order was refunded in full: its coupon goes back when its template says so."""
    coupon = Coupon.objects.select_related("template").filter(order=order).first()
    if coupon is None or not coupon.template.return_on_refund:
        return None
    return release_for_order(order=order, reason="refunded")
