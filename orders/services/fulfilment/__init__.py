"""Fulfilment: paid orders become parcels; the warehouse's side of a parcel's life.

- ``allocate_order`` splits a paid, released order into one shipment per warehouse that
  holds its reserved units and moves the order into fulfilment. The beat job
  ``allocate_paid_orders`` (every minute) calls it for every paid order not waiting for
  its risk review, so a paid order reaches the pick lists within a minute.
- ``orders.selectors.fulfilment.pick_list`` / ``pick_totals`` (reads) are a warehouse's
  work: shipments to pick.
- ``confirm_packing`` compares what the clerk scanned with the shipment's lines and
  refuses with every mismatch; ``ship`` hands the parcel to a carrier (a waybill from
  its adapter), consumes the reservations and tells the shopper.
- ``cancel_part`` cancels one parcel of an order that ships in several and refunds what
  was paid for its goods (``paid_value``): an order line split over warehouses is
  cancelled and refunded per part.
- ``create_replacement`` sends units again (a lost or damaged parcel, an after-sales
  exchange) with new reservations; ``reship`` sends a whole shipment again.
- ``follow_shipments`` moves the order along with its parcels (shipped when none is left
  in the warehouse, delivered when every live one arrived); ``complete_delivered_orders``
  (beat, hourly) completes delivered orders after ``MALL_AUTO_COMPLETE_DAYS``;
  ``confirm_receipt`` (确认收货) delivers a shipped order when its shopper says so.

- ``dispatch``: every parcel's ship-by time (set at allocation: the warehouse's days to
  dispatch after payment, declared holidays not counted), the overdue queue, and
  ``escalate_dispatch_deadlines`` (beat, every ten minutes) telling the warehouse lead
  once before a parcel misses it. Packing records the condition check (intact,
  complete, labelled) without which a parcel cannot leave.

The carrier's side (tracking, delivery, loss, exception cases) is
``orders.services.logistics``. Locks are taken order first, then shipment.

By step: ``allocation`` (paid orders become shipments; replacements), ``shipping`` (packing,
handing over, cancelling, sending again), ``progress`` (the order follows its parcels).
Callers use the names re-exported here (``fulfilment.ship``).
"""

from ...exceptions import FulfilmentError, PackingMismatch
from .allocation import allocate_order, allocate_paid_orders, create_replacement
from .dispatch import escalate_dispatch_deadlines, overdue_shipments, ship_by
from .progress import complete_delivered_orders, confirm_receipt, follow_shipments
from .shipping import (
    CONDITION_CHECKS,
    cancel_part,
    cancel_shipment,
    confirm_packing,
    first_poll_at,
    goods_value,
    notify_shopper,
    paid_value,
    parcels_gone,
    reship,
    ship,
    withdraw_shipments,
)

__all__ = [
    "CONDITION_CHECKS",
    "FulfilmentError",
    "PackingMismatch",
    "allocate_order",
    "allocate_paid_orders",
    "cancel_part",
    "cancel_shipment",
    "complete_delivered_orders",
    "confirm_packing",
    "confirm_receipt",
    "create_replacement",
    "escalate_dispatch_deadlines",
    "first_poll_at",
    "follow_shipments",
    "goods_value",
    "notify_shopper",
    "overdue_shipments",
    "paid_value",
    "parcels_gone",
    "reship",
    "ship",
    "ship_by",
    "withdraw_shipments",
]
