"""Dispatch deadlines: every parcel of a paid order must leave its warehouse by a ship-by
time, the warehouse's ``dispatch_days`` after the payment, declared holidays
(``catalog.Holiday``) not counted. Allocation sets it; ``escalate_dispatch_deadlines``
(beat, every ten minutes) tells the warehouse lead once about every parcel within
``MALL_DISPATCH_ESCALATE_HOURS`` of its time (or past it); ``overdue_shipments`` is the
warehouse's queue of parcels that missed it; a parcel that leaves late is written on the
order's timeline (the shopper sees it) and counted in the carrier scorecard."""

import datetime

from django.conf import settings
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.selectors.stock import declared_holidays
from customers.services import notify
from mall.roles import WAREHOUSE

from ...models import Payment, Shipment
from .progress import _IN_WAREHOUSE


def ship_by(*, start: datetime.datetime, days: int) -> datetime.datetime:
    """``start`` plus ``days`` days, each declared holiday on the way adding one more:
    a parcel paid on the eve of a three-day holiday with two days to dispatch leaves
    two working days after it."""
    start = timezone.localtime(start)
    holidays = declared_holidays(start.date(), start.date() + datetime.timedelta(days=days + 60))
    moment, left = start, days
    for _step in range(days + 366):  # bounded: a year of holidays at most
        if not left:
            break
        moment += datetime.timedelta(days=1)
        if moment.date() not in holidays:
            left -= 1
    return moment


def paid_at(order) -> datetime.datetime:
    """When the money of ``order`` arrived (its first successful payment), else now."""
    first = Payment.objects.filter(order=order, paid_at__isnull=False).aggregate(at=Min("paid_at"))
    return first["at"] or timezone.now()


def overdue_shipments(*, now=None):
    """Parcels still in the warehouse after their ship-by time, the longest overdue first:
    the warehouse's queue."""
    now = now or timezone.now()
    return (
        Shipment.objects.filter(status__in=_IN_WAREHOUSE, ship_by__lt=now)
        .select_related("order", "warehouse")
        .order_by("ship_by", "pk")
    )


def _lead_of(warehouse):
    if warehouse.lead_id and warehouse.lead.is_active:
        return [warehouse.lead]
    from customers.models import User

    return list(User.objects.filter(groups__name=WAREHOUSE, is_active=True).order_by("pk"))


def escalate_dispatch_deadlines(*, now=None) -> dict[str, int]:
    """Tell the warehouse lead (or, without one, the warehouse staff) about each parcel
    in the warehouse whose ship-by time is within ``MALL_DISPATCH_ESCALATE_HOURS`` or
    past: once per parcel (a conditional UPDATE of ``escalated_at`` claims it, so runs at
    once tell once). Returns ``{"escalated", "overdue"}``."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(hours=settings.MALL_DISPATCH_ESCALATE_HOURS)
    due = (
        Shipment.objects.filter(
            status__in=_IN_WAREHOUSE, ship_by__lte=horizon, escalated_at__isnull=True
        )
        .select_related("warehouse__lead", "order")
        .order_by("ship_by", "pk")
    )
    escalated = 0
    for shipment in due:
        if not Shipment.objects.filter(pk=shipment.pk, escalated_at__isnull=True).update(
            escalated_at=now
        ):
            continue
        late = shipment.ship_by < now
        for person in _lead_of(shipment.warehouse):
            notify(
                user=person,
                title=(
                    _("Parcel %(number)s missed its ship-by time")
                    if late
                    else _("Parcel %(number)s must leave soon")
                )
                % {"number": shipment.number},
                body=_(
                    "Order %(order)s, %(warehouse)s: the parcel must leave by %(time)s and is "
                    "still “%(status)s”."
                )
                % {
                    "order": shipment.order.number,
                    "warehouse": shipment.warehouse,
                    "time": timezone.localtime(shipment.ship_by).strftime("%Y-%m-%d %H:%M"),
                    "status": shipment.get_status_display(),
                },
                link=reverse("admin:orders_shipment_change", args=[shipment.pk]),
            )
        escalated += 1
    return {"escalated": escalated, "overdue": overdue_shipments(now=now).count()}
