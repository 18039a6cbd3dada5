"""The order follows its parcels: shipped when none is left in the warehouse, delivered
when every live one arrived, completed after ``MALL_AUTO_COMPLETE_DAYS`` (the hourly job)."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from mall.labels import Label
from mall.statemachine import transition

from ...models import (
    OPEN_AFTER_SALES,
    ORDER_MACHINE,
    AfterSalesCase,
    LogisticsCase,
    Order,
    OrderStatusChange,
    Shipment,
)

logger = logging.getLogger("orders.fulfilment")


# --- The order follows its parcels -----------------------------------------------------------

_IN_WAREHOUSE = {Shipment.Status.PICKING, Shipment.Status.PACKED}


def follow_shipments(*, order: Order, actor=None) -> Order:
    """Move ``order`` along with its shipments, in the caller's transaction (which holds
    the order's lock). Cancelled shipments do not count; a lost one counts until its
    exception case is resolved.

    - in fulfilment → shipped, once no live shipment is left in a warehouse;
    - shipped → delivered (``delivered_at`` = the last arrival), once every live shipment
      arrived and none waits for a reshipment;
    - shipped → closed, once nothing arrived and nothing is on its way: every live
      shipment was lost and its case resolved without a reshipment (refunded, claimed
      or closed), so the shopper is not left with an order "on its way" for ever.

    Orders in other states are left alone (a replacement sent after delivery does not
    move a delivered order back). Returns the order.
    """
    open_case = LogisticsCase.objects.filter(
        shipment=OuterRef("pk"), status=LogisticsCase.Status.OPEN
    )
    shipments = list(
        order.shipments.exclude(status=Shipment.Status.CANCELLED)
        .annotate(open_case=Exists(open_case))
        .values("status", "delivered_at", "open_case")
    )
    if not shipments:
        return order
    if order.status == Order.Status.IN_FULFILMENT and not any(
        s["status"] in _IN_WAREHOUSE for s in shipments
    ):
        transition(
            order,
            ORDER_MACHINE,
            "ship",
            history=OrderStatusChange,
            actor=actor,
            reason=Label(gettext_noop("every parcel left the warehouse")),
        )
    if order.status == Order.Status.SHIPPED:
        waiting = [
            s
            for s in shipments
            if s["status"] not in (Shipment.Status.DELIVERED, Shipment.Status.LOST)
            or (s["status"] == Shipment.Status.LOST and s["open_case"])
        ]
        arrived = [s["delivered_at"] for s in shipments if s["status"] == Shipment.Status.DELIVERED]
        if arrived and not waiting:
            order.delivered_at = max(arrived)
            transition(
                order,
                ORDER_MACHINE,
                "deliver",
                history=OrderStatusChange,
                actor=actor,
                reason=Label(gettext_noop("every parcel arrived")),
                update_fields=["delivered_at"],
            )
        elif not arrived and not waiting:
            transition(
                order,
                ORDER_MACHINE,
                "close",
                history=OrderStatusChange,
                actor=actor,
                reason=Label(
                    gettext_noop("nothing arrived: every parcel was lost and its case is resolved")
                ),
            )
    return order


def complete_delivered_orders(*, now=None, limit: int = 500) -> int:
    """The beat job's work (hourly): complete every order delivered more than
    ``MALL_AUTO_COMPLETE_DAYS`` ago, unless an after-sales case of it is open
    (requested, approved, goods on their way back, received), a logistics exception case
    of it is open, or a parcel of it (a replacement) has not arrived yet. Returns how
    many were completed; each order in its own transaction, checked again under its lock;
    safe to run twice or at once."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.MALL_AUTO_COMPLETE_DAYS)
    due = (
        _completable(Order.objects.filter(delivered_at__lte=cutoff))
        .order_by("delivered_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    completed = 0
    for pk in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=pk)
            if not _completable(Order.objects.filter(pk=pk)).exists():
                continue  # an after-sales case was opened meanwhile
            transition(
                order,
                ORDER_MACHINE,
                "complete",
                history=OrderStatusChange,
                reason=Label(
                    gettext_noop("completed %(days)s days after delivery"),
                    days=str(settings.MALL_AUTO_COMPLETE_DAYS),
                ),
            )
        completed += 1
    return completed


def _completable(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.filter(status=Order.Status.DELIVERED).exclude(
        Exists(AfterSalesCase.objects.filter(order=OuterRef("pk"), status__in=OPEN_AFTER_SALES))
        | Exists(
            LogisticsCase.objects.filter(
                shipment__order=OuterRef("pk"), status=LogisticsCase.Status.OPEN
            )
        )
        | Exists(
            Shipment.objects.filter(
                order=OuterRef("pk"),
                status__in=[*_IN_WAREHOUSE, Shipment.Status.SHIPPED],
            )
        )
    )


@transaction.atomic
def confirm_receipt(*, order: Order, actor) -> Order:
    """确认收货: the shopper says the goods arrived before the carrier did. The order
    becomes delivered now (``delivered_at`` set, a timeline row), which starts the
    after-sales window and the automatic completion exactly as the carrier's delivery
    does; a later delivery scan moves nothing (``follow_shipments`` leaves delivered
    orders alone). Only the order's shopper confirms (the caller checks who).

    Raises ``IllegalTransition`` unless the order is shipped; nothing changes then.
    """
    # Locked first, as the carrier's delivery is: the two cannot both deliver it.
    order.status = (
        Order.objects.select_for_update().values_list("status", flat=True).get(pk=order.pk)
    )
    ORDER_MACHINE.check(order, "deliver")
    order.delivered_at = timezone.now()
    transition(
        order,
        ORDER_MACHINE,
        "deliver",
        history=OrderStatusChange,
        actor=actor,
        reason=Label(gettext_noop("receipt confirmed by the shopper")),
        update_fields=["delivered_at"],
    )
    return order
