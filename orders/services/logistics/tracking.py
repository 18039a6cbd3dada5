"""What tracking says about a parcel: delivered (possibly damaged), lost, or silent long
enough to count as delayed; the shipment's transitions and the cases they open or close."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mall.labels import Label
from mall.statemachine import transition

from ...models import (
    LOGISTICS_CASE_MACHINE,
    SHIPMENT_MACHINE,
    LogisticsCase,
    LogisticsCaseChange,
    Order,
    Shipment,
    ShipmentStatusChange,
)
from .. import fulfilment
from .cases import open_case

# --- What tracking says ----------------------------------------------------------------------


def _close_delay_cases(shipment: Shipment, resolution: str) -> None:
    """The parcel's silence is over (it arrived, or it was reported lost): its open
    "delayed" case closes by itself, so that it holds neither the order nor its
    completion once the parcel's real outcome is dealt with."""
    for case in LogisticsCase.objects.filter(
        shipment=shipment, kind=LogisticsCase.Kind.DELAYED, status=LogisticsCase.Status.OPEN
    ):
        case.resolution = resolution
        case.resolved_at = timezone.now()
        transition(
            case,
            LOGISTICS_CASE_MACHINE,
            "close",
            history=LogisticsCaseChange,
            reason=resolution,
            update_fields=["resolution", "resolved_at"],
        )


def record_delivery(*, shipment: Shipment, delivered_at, actor=None, damaged: str = ""):
    """The carrier delivered ``shipment`` at ``delivered_at``: the shipment is delivered,
    its open "delayed" case closes (it arrived after all), a "damaged" case opens when
    ``damaged`` says what happened, the order follows (delivered once every live parcel
    arrived, with ``Order.delivered_at``), and the shopper hears of it. Returns the
    shipment; raises ``IllegalTransition`` unless it is on its way."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=shipment.order_id)
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        shipment.delivered_at = delivered_at
        transition(
            shipment,
            SHIPMENT_MACHINE,
            "deliver",
            history=ShipmentStatusChange,
            actor=actor,
            reason=Label(gettext_noop("delivered, by the carrier's tracking")),
            update_fields=["delivered_at"],
        )
        _close_delay_cases(shipment, _("The parcel arrived after all."))
        if damaged:
            open_case(shipment=shipment, kind=LogisticsCase.Kind.DAMAGED, detail=damaged)
        fulfilment.follow_shipments(order=order, actor=actor)
        fulfilment.notify_shopper(
            order=order,
            title=_("Your parcel was delivered"),
            body=_("Order %(order)s: parcel %(shipment)s was delivered on %(when)s.")
            % {
                "order": order.number,
                "shipment": shipment.number,
                "when": timezone.localtime(delivered_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return shipment


def record_loss(*, shipment: Shipment, detail: str = "", actor=None):
    """The carrier reports ``shipment`` lost: the shipment is lost, a "lost" case opens
    for an operator (reship, refund, claim), and the shopper hears that we are on it.
    Returns the case; raises ``IllegalTransition`` unless the parcel is on its way."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=shipment.order_id)
        transition(
            shipment,
            SHIPMENT_MACHINE,
            "lose",
            history=ShipmentStatusChange,
            actor=actor,
            reason=detail or _("reported lost by the carrier"),
        )
        _close_delay_cases(shipment, _("The parcel was reported lost: the loss case follows it."))
        case, _created = open_case(shipment=shipment, kind=LogisticsCase.Kind.LOST, detail=detail)
        fulfilment.follow_shipments(order=order, actor=actor)
        fulfilment.notify_shopper(
            order=order,
            title=_("Your parcel was lost on the way"),
            body=_(
                "Order %(order)s: the carrier lost parcel %(shipment)s. We will send it "
                "again or refund you, and tell you which."
            )
            % {"order": order.number, "shipment": shipment.number},
        )
    return case


def _report_delay(shipment: Shipment, now) -> bool:
    """Open a "delayed" case when ``shipment`` has been silent for the delay time and no
    delay case was opened during this silence (an operator's closing it is final until
    the parcel speaks again); tell the shopper. Returns whether a case was opened."""
    since = shipment.last_event_at or shipment.shipped_at
    hours = settings.MALL_LOGISTICS_DELAY_HOURS
    if since is None or now - since < datetime.timedelta(hours=hours):
        return False
    if LogisticsCase.objects.filter(
        shipment=shipment, kind=LogisticsCase.Kind.DELAYED, opened_at__gte=since
    ).exists():
        return False
    with transaction.atomic():
        _case, created = open_case(
            shipment=shipment,
            kind=LogisticsCase.Kind.DELAYED,
            detail=_("No tracking event for %(hours)s hours.") % {"hours": hours},
            now=now,
        )
        if created:
            order = Order.objects.select_related("user").get(pk=shipment.order_id)
            fulfilment.notify_shopper(
                order=order,
                title=_("Your parcel is delayed"),
                body=_(
                    "Order %(order)s: parcel %(shipment)s has not moved for a while. We "
                    "are asking the carrier and will keep you informed."
                )
                % {"order": order.number, "shipment": shipment.number},
            )
    return created
