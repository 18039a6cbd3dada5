"""Fulfilment: paid orders become parcels; the warehouse's side of a parcel's life.

- ``allocate_order`` splits a paid, released order into one shipment per warehouse that
  holds its reserved units and moves the order into fulfilment. The beat job
  ``allocate_paid_orders`` (every minute) calls it for every paid order not waiting for
  its risk review, so a paid order reaches the pick lists within a minute.
- ``pick_list`` / ``pick_totals`` (reads) are a warehouse's work: shipments to pick.
- ``confirm_packing`` compares what the clerk scanned with the shipment's lines and
  refuses with every mismatch; ``ship`` hands the parcel to a carrier (a waybill from
  its adapter), consumes the reservations and tells the shopper.
- ``create_replacement`` sends units again (a lost or damaged parcel, an after-sales
  exchange) with new reservations; ``reship`` sends a whole shipment again.
- ``follow_shipments`` moves the order along with its parcels (shipped when none is left
  in the warehouse, delivered when every live one arrived); ``complete_delivered_orders``
  (beat, hourly) completes delivered orders after ``MALL_AUTO_COMPLETE_DAYS``.

The carrier's side (tracking, delivery, loss, exception cases) is
``orders.services.logistics``. Locks are taken order first, then shipment.
"""

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.exceptions import InsufficientStock, ReservationClosed
from catalog.services import inventory
from customers.services import notify
from mall.money import to_money
from mall.numbers import new_number
from mall.statemachine import IllegalTransition, transition

from ..carriers import registry as carriers
from ..carriers.base import CarrierError, Place
from ..exceptions import OrderError
from ..models import (
    OPEN_AFTER_SALES,
    ORDER_MACHINE,
    SHIPMENT_MACHINE,
    AfterSalesCase,
    LogisticsCase,
    Order,
    OrderLine,
    OrderStatusChange,
    Shipment,
    ShipmentLine,
    ShipmentStatusChange,
)
from . import risk_review as review

logger = logging.getLogger("orders.fulfilment")


class FulfilmentError(OrderError):
    """A fulfilment step that cannot be done as asked; the message says why."""


class PackingMismatch(FulfilmentError):
    """What was scanned is not what the shipment holds; ``problems`` lists every
    difference (missing, short, too many, not in this shipment)."""

    def __init__(self, shipment, problems: list[str]):
        self.shipment = shipment
        self.problems = problems
        super().__init__(
            _("Shipment %(number)s does not match: %(problems)s")
            % {"number": shipment.number, "problems": " ".join(problems)}
        )


def _open_shipment(order: Order, warehouse_id: int, *, replaces=None, note="") -> Shipment:
    shipment = Shipment.objects.create(
        number=new_number("S", digits=9),
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


# --- Pick lists (reads) ----------------------------------------------------------------------


def pick_list(*, warehouse) -> QuerySet[ShipmentLine]:
    """The lines of every shipment of ``warehouse`` waiting to be picked, shipment by
    shipment (oldest first), with the SKU (code, barcode), the product name and
    specification as sold, and the order (recipient): one query."""
    return (
        ShipmentLine.objects.filter(
            shipment__warehouse=warehouse, shipment__status=Shipment.Status.PICKING
        )
        .select_related("shipment__order", "order_line__sku")
        .order_by("shipment__created_at", "shipment__pk", "order_line__sku__code", "pk")
    )


def pick_totals(*, warehouse) -> QuerySet:
    """The same work summed per SKU, for one walk through the shelves: dicts of
    ``sku_id``, ``code``, ``barcode``, ``name``, ``spec``, ``quantity`` and ``shipments``,
    by SKU code. One query."""
    return (
        ShipmentLine.objects.filter(
            shipment__warehouse=warehouse, shipment__status=Shipment.Status.PICKING
        )
        .values(sku_id=F("order_line__sku_id"))
        .annotate(
            code=Max("order_line__sku__code"),
            barcode=Max("order_line__sku__barcode"),
            name=Max("order_line__product_name"),
            spec=Max("order_line__sku_label"),
            quantity=Sum("quantity"),
            shipments=Count("shipment", distinct=True),
        )
        .order_by("code")
    )


# --- Packing and shipping --------------------------------------------------------------------


def notify_shopper(*, order: Order, title: str, body: str) -> None:
    """A message about ``order`` on the shopper's account page, and an email after commit
    (``customers.services.notify``), linking to the order page."""
    notify(
        user=order.user,
        title=title,
        body=body,
        link=reverse("orders:order_detail", args=[order.number]),
    )


@transaction.atomic
def confirm_packing(*, shipment: Shipment, items: list[tuple[str, int]], actor) -> Shipment:
    """The packing check: ``items`` are what the clerk scanned or typed, ``(SKU code or
    barcode, units)``, in any order (a code may come several times: the units add up;
    SKU codes are matched without regard to case). When they are exactly the shipment's
    lines, the shipment is packed (``packed_at``, ``packed_by``, a history row).

    Raises ``PackingMismatch`` listing every difference (nothing scanned, a code not in
    this shipment, units short or too many per SKU) and ``IllegalTransition`` unless the
    shipment is waiting to be picked. Nothing changes when it raises.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    SHIPMENT_MACHINE.check(shipment, "pack")
    expected: dict[int, int] = defaultdict(int)
    skus, names = {}, {}
    for line in shipment.lines.select_related("order_line__sku"):
        sku = line.order_line.sku
        expected[sku.pk] += line.quantity
        skus[sku.pk] = sku
        names[sku.pk] = f"{sku.code} {line.order_line.product_name}"
    by_code = {sku.code.upper(): pk for pk, sku in skus.items()}
    by_barcode = {sku.barcode: pk for pk, sku in skus.items() if sku.barcode}
    counted: dict[int, int] = defaultdict(int)
    problems, unknown = [], {}
    for code, quantity in items:
        code = str(code).strip()
        if not code:
            continue
        if int(quantity) < 1:
            problems.append(_("%(code)s: give at least one unit.") % {"code": code})
            continue
        pk = by_code.get(code.upper()) or by_barcode.get(code)
        if pk is None:
            unknown[code] = unknown.get(code, 0) + int(quantity)
        else:
            counted[pk] += int(quantity)
    if not items or not (counted or unknown or problems):
        problems.append(_("Nothing was scanned."))
    for code, quantity in unknown.items():
        problems.append(
            _("%(code)s (%(quantity)s) is not in this shipment.")
            % {"code": code, "quantity": quantity}
        )
    for pk, want in sorted(expected.items(), key=lambda item: skus[item[0]].code):
        got, name = counted.get(pk, 0), names[pk]
        if got == 0:
            problems.append(_("%(sku)s: %(want)s missing.") % {"sku": name, "want": want})
        elif got < want:
            problems.append(
                _("%(sku)s: %(want)s expected, only %(got)s packed.")
                % {"sku": name, "want": want, "got": got}
            )
        elif got > want:
            problems.append(
                _("%(sku)s: %(want)s expected, %(got)s packed.")
                % {"sku": name, "want": want, "got": got}
            )
    if problems:
        raise PackingMismatch(shipment, problems)
    shipment.packed_at = timezone.now()
    shipment.packed_by = actor
    return transition(
        shipment,
        SHIPMENT_MACHINE,
        "pack",
        history=ShipmentStatusChange,
        actor=actor,
        reason=_("packing checked"),
        update_fields=["packed_at", "packed_by"],
    )


def first_poll_at(handed_over_at: datetime.datetime) -> datetime.datetime:
    return handed_over_at + datetime.timedelta(minutes=settings.MALL_LOGISTICS_POLL_MINUTES)


def ship(*, shipment: Shipment, carrier: str, actor, now=None) -> Shipment:
    """Hand a packed shipment to ``carrier``: a waybill from the carrier's adapter (its
    tracking number and promised delivery date), every line's reservation consumed (the
    units leave the warehouse's ``on_hand`` and ``reserved``, sale movements in the
    ledger), polling scheduled, a history row, and a message to the shopper. The order
    moves to "shipped" once none of its live shipments is left in a warehouse.

    Raises ``FulfilmentError`` when the carrier is not switched on or refuses the parcel,
    or a line's units are no longer reserved; ``IllegalTransition`` unless the shipment
    is packed. Nothing changes when it raises.
    """
    now = now or timezone.now()
    try:
        adapter = carriers.get_carrier(carrier)
    except carriers.UnknownCarrier:
        raise FulfilmentError(
            _("The carrier “%(carrier)s” is not available.") % {"carrier": carrier}
        ) from None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=shipment.order_id)
        shipment = (
            Shipment.objects.select_for_update(of=("self",))
            .select_related("warehouse")
            .get(pk=shipment.pk)
        )
        SHIPMENT_MACHINE.check(shipment, "ship")
        lines = list(
            shipment.lines.select_related("reservation", "order_line__sku").order_by(
                "order_line__sku_id", "pk"
            )
        )
        warehouse = shipment.warehouse
        try:
            waybill = adapter.create_waybill(
                reference=shipment.number,
                origin=Place(province=warehouse.province, city=warehouse.city),
                destination=Place(province=order.province, city=order.city),
                weight_grams=sum(
                    line.quantity * line.order_line.sku.weight_grams for line in lines
                ),
                handed_over_at=now,
            )
        except CarrierError as error:
            logger.warning(
                "waybill not created",
                extra={"shipment": shipment.number, "carrier": carrier, "error": str(error)},
            )
            raise FulfilmentError(
                _("%(carrier)s did not take the parcel: %(error)s")
                % {"carrier": adapter.label, "error": error}
            ) from error
        for line in lines:  # by SKU: stock rows are locked in one order
            try:
                inventory.consume(reservation=line.reservation, actor=actor)
            except ReservationClosed:
                raise FulfilmentError(
                    _("The units of %(item)s are no longer reserved for this shipment.")
                    % {"item": line.order_line.product_name}
                ) from None
        shipment.carrier = carrier
        shipment.tracking_number = waybill.tracking_number
        shipment.estimated_delivery = waybill.estimated_delivery
        shipment.shipped_at = now
        shipment.shipped_by = actor
        shipment.last_event_at = None
        shipment.idle_polls = 0
        shipment.next_poll_at = first_poll_at(now)
        transition(
            shipment,
            SHIPMENT_MACHINE,
            "ship",
            history=ShipmentStatusChange,
            actor=actor,
            reason=f"{adapter.label} {waybill.tracking_number}",
            update_fields=[
                "carrier",
                "tracking_number",
                "estimated_delivery",
                "shipped_at",
                "shipped_by",
                "last_event_at",
                "idle_polls",
                "next_poll_at",
            ],
        )
        follow_shipments(order=order, actor=actor)
        notify_shopper(
            order=order,
            title=_("Your parcel is on its way"),
            body=_(
                "Order %(order)s: parcel %(shipment)s left our warehouse with %(carrier)s, "
                "tracking number %(tracking)s. Expected delivery: %(date)s."
            )
            % {
                "order": order.number,
                "shipment": shipment.number,
                "carrier": adapter.label,
                "tracking": waybill.tracking_number,
                "date": waybill.estimated_delivery.isoformat(),
            },
        )
    return shipment


@transaction.atomic
def cancel_shipment(*, shipment: Shipment, actor, reason: str) -> Shipment:
    """Cancel a shipment still in the warehouse (a replacement no longer needed, a parcel
    to send from elsewhere) and give its reserved units back. The order's own units are
    then no longer held: whoever cancels an order's first shipment sends the goods again
    (``create_replacement``) or refunds them. Raises ``FulfilmentError`` without a reason
    and ``IllegalTransition`` once the shipment has left."""
    if not reason.strip():
        raise FulfilmentError(_("Say why the shipment is cancelled."))
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    transition(
        shipment,
        SHIPMENT_MACHINE,
        "cancel",
        history=ShipmentStatusChange,
        actor=actor,
        reason=reason.strip(),
    )
    for line in shipment.lines.select_related("reservation").order_by("order_line__sku_id"):
        try:
            inventory.release(reservation=line.reservation, actor=actor, reason=reason.strip())
        except ReservationClosed:
            continue
    follow_shipments(order=order, actor=actor)
    return shipment


def parcels_gone(order: Order) -> list[str]:
    """The numbers of ``order``'s shipments that have left the warehouse (handed to the
    carrier or further): while there are none, the order can still be cancelled."""
    return list(
        order.shipments.exclude(status__in=[Shipment.Status.CANCELLED, *_IN_WAREHOUSE])
        .order_by("pk")
        .values_list("number", flat=True)
    )


def withdraw_shipments(*, order: Order, actor, reason: str) -> None:
    """Stop every shipment of ``order`` in the warehouse because the order is cancelled,
    in the caller's transaction (which holds the order's lock, so no parcel leaves
    meanwhile: ``ship`` locks the order first). The units stay reserved for the order's
    lines; the caller releases them. Raises ``FulfilmentError`` naming the parcels that
    have left already; nothing changes then."""
    gone = parcels_gone(order)
    if gone:
        raise FulfilmentError(
            _(
                "Parcel %(numbers)s has left the warehouse, so the order can no longer be "
                "cancelled; once it arrives you can ask for a return."
            )
            % {"numbers": ", ".join(gone)}
        )
    for shipment in order.shipments.select_for_update().filter(status__in=_IN_WAREHOUSE):
        transition(
            shipment,
            SHIPMENT_MACHINE,
            "cancel",
            history=ShipmentStatusChange,
            actor=actor,
            reason=_("the order was cancelled: %(reason)s") % {"reason": reason},
        )


def goods_value(shipment: Shipment) -> Decimal:
    """What the goods of ``shipment`` were sold for (order prices × units)."""
    total = shipment.lines.aggregate(value=Sum(F("quantity") * F("order_line__unit_price")))
    return to_money(total["value"] or 0)


def reship(*, shipment: Shipment, actor, note: str = "") -> list[Shipment]:
    """Send every unit of ``shipment`` again (it was lost, damaged or is too late): new
    reservations and new shipments to pick, marked as replacing it
    (``create_replacement``). Raises ``FulfilmentError`` when stock is short (nothing is
    written then)."""
    items = [
        (line.order_line, line.quantity)
        for line in shipment.lines.select_related("order_line").order_by("pk")
    ]
    return create_replacement(
        order=shipment.order,
        items=items,
        actor=actor,
        note=note or _("reshipment of %(number)s") % {"number": shipment.number},
        replaces=shipment,
    )


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
            reason=_("every parcel left the warehouse"),
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
                reason=_("every parcel arrived"),
                update_fields=["delivered_at"],
            )
        elif not arrived and not waiting:
            transition(
                order,
                ORDER_MACHINE,
                "close",
                history=OrderStatusChange,
                actor=actor,
                reason=_("nothing arrived: every parcel was lost and its case is resolved"),
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
                reason=_("completed %(days)s days after delivery")
                % {"days": settings.MALL_AUTO_COMPLETE_DAYS},
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


__all__ = [
    "FulfilmentError",
    "IllegalTransition",
    "PackingMismatch",
    "allocate_order",
    "allocate_paid_orders",
    "cancel_shipment",
    "complete_delivered_orders",
    "confirm_packing",
    "create_replacement",
    "follow_shipments",
    "goods_value",
    "notify_shopper",
    "pick_list",
    "pick_totals",
    "reship",
    "ship",
]
