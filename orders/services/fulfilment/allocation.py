"""Paid orders become shipments: one per warehouse holding the order's reserved units (the
minute job for every paid order not waiting for its risk review), and replacement
shipments with new reservations (a lost or damaged parcel, an after-sales exchange)."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from catalog.exceptions import InsufficientStock
from catalog.models import Warehouse
from catalog.services import inventory
from mall.labels import Label
from mall.numbers import new_number
from mall.statemachine import IllegalTransition, transition

from ...exceptions import FulfilmentError
from ...models import (
    ORDER_MACHINE,
    Order,
    OrderLine,
    OrderLineReservation,
    OrderStatusChange,
    Shipment,
    ShipmentLine,
    ShipmentStatusChange,
)
from .. import risk_review as review
from . import dispatch


def _open_shipment(order: Order, warehouse_id: int, *, start, replaces=None, note="") -> Shipment:
    """A shipment to pick, with its ship-by time: the warehouse's days to dispatch
    counted from ``start`` (the payment; a replacement's own creation), holidays not
    counted (``dispatch.ship_by``)."""
    days = Warehouse.objects.values_list("dispatch_days", flat=True).get(pk=warehouse_id)
    shipment = Shipment.objects.create(
        number=new_number("S", digits=9),
        order=order,
        warehouse_id=warehouse_id,
        replaces=replaces,
        note=note,
        ship_by=dispatch.ship_by(start=start, days=days),
    )
    ShipmentStatusChange.objects.create(
        subject=shipment, transition="open", from_state="", to_state=shipment.status
    )
    return shipment


@transaction.atomic
def allocate_order(*, order: Order, actor=None) -> list[Shipment]:
    """Split a paid order into shipments, one per warehouse holding its reserved units
    (each part of a line ships from the warehouse its reservation is in, so a line split
    over two warehouses travels in two parcels), and move the order into fulfilment.
    Returns the shipments, warehouse by warehouse.

    Raises ``FulfilmentError`` while the order waits for its risk review, and
    ``IllegalTransition`` unless it is paid. Idempotent in effect: the transition locks
    the order first, so a second call finds it in fulfilment and raises.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if review.awaiting_review(order):
        raise FulfilmentError(
            _("Order %(number)s waits for its risk review.") % {"number": order.number}
        )
    ORDER_MACHINE.check(order, "start_fulfilment")
    # One shipment line per part: a line split over warehouses ships in several parcels.
    by_warehouse: dict[int, list[OrderLineReservation]] = defaultdict(list)
    parts = OrderLineReservation.objects.filter(order_line__order=order).select_related(
        "reservation__stock"
    )
    for part in parts.order_by("order_line_id", "pk"):
        by_warehouse[part.reservation.stock.warehouse_id].append(part)
    shipments, paid = [], dispatch.paid_at(order)
    for warehouse_id in sorted(by_warehouse):
        shipment = _open_shipment(order, warehouse_id, start=paid)
        ShipmentLine.objects.bulk_create(
            ShipmentLine(
                shipment=shipment,
                order_line_id=part.order_line_id,
                quantity=part.reservation.quantity,
                reservation=part.reservation,
            )
            for part in by_warehouse[warehouse_id]
        )
        shipments.append(shipment)
    latest = max((s.ship_by for s in shipments), default=None)
    # The shopper's timeline says by when the goods leave.
    transition(
        order,
        ORDER_MACHINE,
        "start_fulfilment",
        history=OrderStatusChange,
        actor=actor,
        reason=Label(
            gettext_noop("allocated to warehouses; to leave by %(time)s"),
            time=timezone.localtime(latest).strftime("%Y-%m-%d %H:%M"),
        )
        if latest
        else Label(gettext_noop("allocated to warehouses")),
    )
    return shipments


@transaction.atomic
def create_replacement(
    *, order: Order, items: list[tuple[OrderLine, int]], actor, note: str, replaces=None
) -> list[Shipment]:
    """Send ``items`` (order line, units) of ``order`` again: new reservations (in SKU
    order, by the allocation rule of ``inventory.reserve``: split when no warehouse has
    them all) and new shipments to pick, marked as
    replacing ``replaces`` (a lost or damaged parcel) or with ``note`` (an exchange).

    Raises ``FulfilmentError`` for nothing to send, a line of another order or more units
    than the line has, and when stock is short (nothing is written then).
    """
    if not items:
        raise FulfilmentError(_("There is nothing to send."))
    for line, quantity in items:
        if line.order_id != order.pk or not 1 <= quantity <= line.quantity:
            raise FulfilmentError(
                _("%(line)s: choose between 1 and %(max)s units of this order.")
                % {"line": line.product_name, "max": line.quantity}
            )
    by_warehouse = defaultdict(list)
    for line, quantity in sorted(items, key=lambda item: item[0].sku_id):
        try:
            reservations = inventory.reserve(
                sku=line.sku,
                quantity=quantity,
                reference=order.number,
                actor=actor,
                destination=order.province,
            )
        except InsufficientStock as error:
            raise FulfilmentError(str(error)) from error
        for reservation in reservations:
            by_warehouse[reservation.stock.warehouse_id].append((line, reservation))
    shipments = []
    for warehouse_id in sorted(by_warehouse):
        shipment = _open_shipment(
            order, warehouse_id, start=timezone.now(), replaces=replaces, note=note
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, order_line=line, quantity=r.quantity, reservation=r)
            for line, r in by_warehouse[warehouse_id]
        )
        shipments.append(shipment)
    return shipments


def allocate_paid_orders(*, limit: int = 200) -> int:
    """The beat job's work (every minute): allocate every paid order that does not wait
    for its risk review (flagged orders wait until an operator passes them), oldest
    first, at most ``limit`` per run. Returns how many were allocated. Each order in its
    own transaction; safe to run twice or at once (the second finds it in fulfilment)."""
    due = (
        Order.objects.filter(status=Order.Status.PAID)
        .exclude(review.AWAITING_REVIEW)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    allocated = 0
    for pk in list(due):
        try:
            allocate_order(order=Order(pk=pk))
        except (IllegalTransition, FulfilmentError):
            continue  # cancelled, allocated by another run, or flagged meanwhile
        allocated += 1
    return allocated
