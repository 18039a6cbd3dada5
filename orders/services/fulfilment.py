"""Fulfilment: paid orders become parcels.

``allocate_order`` splits a paid, released order into one shipment per warehouse that
holds its reserved units and moves the order into fulfilment; ``create_replacement``
sends units again (a lost or damaged parcel, an after-sales exchange) with new
reservations. Packing, shipping, tracking and completion build on these.
"""

import secrets
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.exceptions import InsufficientStock
from catalog.services import inventory
from mall.statemachine import IllegalTransition, transition

from ..exceptions import OrderError
from ..models import (
    ORDER_MACHINE,
    Order,
    OrderLine,
    OrderStatusChange,
    Shipment,
    ShipmentLine,
    ShipmentStatusChange,
)
from . import review


class FulfilmentError(OrderError):
    """A fulfilment step that cannot be done as asked; the message says why."""


def _new_number() -> str:
    return "S" + timezone.localdate().strftime("%Y%m%d") + f"{secrets.randbelow(10**9):09d}"


def _open_shipment(order: Order, warehouse_id: int, *, replaces=None, note="") -> Shipment:
    shipment = Shipment.objects.create(
        number=_new_number(),
        order=order,
        warehouse_id=warehouse_id,
        replaces=replaces,
        note=note,
    )
    ShipmentStatusChange.objects.create(
        subject=shipment, transition="open", from_state="", to_state=shipment.status
    )
    return shipment


@transaction.atomic
def allocate_order(*, order: Order, actor=None) -> list[Shipment]:
    """Split a paid order into shipments, one per warehouse holding its reserved units
    (each line ships from the warehouse its reservation is in), and move the order into
    fulfilment. Returns the shipments, warehouse by warehouse.

    Raises ``FulfilmentError`` while the order waits for its risk review, and
    ``IllegalTransition`` unless it is paid. Idempotent in effect: the transition locks
    the order first, so a second call finds it in fulfilment and raises.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if review.awaiting_review(order):
        raise FulfilmentError(
            _("Order %(number)s waits for its risk review.") % {"number": order.number}
        )
    transition(
        order,
        ORDER_MACHINE,
        "start_fulfilment",
        history=OrderStatusChange,
        actor=actor,
        reason=_("allocated to warehouses"),
    )
    by_warehouse: dict[int, list[OrderLine]] = defaultdict(list)
    for line in order.lines.select_related("reservation__stock").order_by("pk"):
        by_warehouse[line.reservation.stock.warehouse_id].append(line)
    shipments = []
    for warehouse_id in sorted(by_warehouse):
        shipment = _open_shipment(order, warehouse_id)
        ShipmentLine.objects.bulk_create(
            ShipmentLine(
                shipment=shipment,
                order_line=line,
                quantity=line.quantity,
                reservation=line.reservation,
            )
            for line in by_warehouse[warehouse_id]
        )
        shipments.append(shipment)
    return shipments


@transaction.atomic
def create_replacement(
    *, order: Order, items: list[tuple[OrderLine, int]], actor, note: str, replaces=None
) -> list[Shipment]:
    """Send ``items`` (order line, units) of ``order`` again: new reservations (in SKU
    order, any warehouse that has the units) and new shipments to pick, marked as
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
            reservation = inventory.reserve(
                sku=line.sku, quantity=quantity, reference=order.number, actor=actor
            )
        except InsufficientStock as error:
            raise FulfilmentError(str(error)) from error
        by_warehouse[reservation.stock.warehouse_id].append((line, quantity, reservation))
    shipments = []
    for warehouse_id in sorted(by_warehouse):
        shipment = _open_shipment(order, warehouse_id, replaces=replaces, note=note)
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, order_line=line, quantity=quantity, reservation=r)
            for line, quantity, r in by_warehouse[warehouse_id]
        )
        shipments.append(shipment)
    return shipments


__all__ = ["FulfilmentError", "IllegalTransition", "allocate_order", "create_replacement"]
