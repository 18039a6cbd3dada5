"""The warehouse's side of a parcel: packing checked against what was scanned, the
hand-over to a carrier (waybill, reservations consumed, the shopper told), cancelling
and withdrawing shipments still in the warehouse, sending a shipment again."""

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from catalog.exceptions import ReservationClosed
from catalog.services import inventory
from customers.services import notify
from mall.labels import Label
from mall.money import to_money
from mall.statemachine import stored_reason, transition

from ...carriers import registry as carriers
from ...carriers.base import CarrierError, Place
from ...exceptions import FulfilmentError, PackingMismatch
from ...models import (
    SHIPMENT_MACHINE,
    Order,
    OrderStatusChange,
    Shipment,
    ShipmentStatusChange,
)
from .. import payments
from .allocation import create_replacement
from .progress import _IN_WAREHOUSE, follow_shipments

logger = logging.getLogger("orders.fulfilment")


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


# The condition check at packing: what the clerk confirms about the parcel before it can
# leave (the database refuses a packed parcel without all three).
CONDITION_CHECKS = {
    "intact": gettext_lazy("intact (goods and box undamaged)"),
    "complete": gettext_lazy("complete (accessories, manuals and invoice inside)"),
    "labelled": gettext_lazy("labelled (shipping label and order number on the box)"),
}


@transaction.atomic
def confirm_packing(
    *, shipment: Shipment, items: list[tuple[str, int]], actor, condition=()
) -> Shipment:
    """The packing check: ``items`` are what the clerk scanned or typed, ``(SKU code or
    barcode, units)``, in any order (a code may come several times: the units add up;
    SKU codes are matched without regard to case), and ``condition`` the aspects of the
    parcel's condition the clerk confirmed (``CONDITION_CHECKS``: intact, complete,
    labelled). When the scans are exactly the shipment's lines and all three are
    confirmed, the shipment is packed (``packed_at``, ``packed_by``, the check, a
    history row); only a packed parcel can leave.

    Raises ``PackingMismatch`` listing every difference (nothing scanned, a code not in
    this shipment, units short or too many per SKU, a condition not confirmed) and
    ``IllegalTransition`` unless the shipment is waiting to be picked. Nothing changes
    when it raises.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    SHIPMENT_MACHINE.check(shipment, "pack")
    condition = set(condition)
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
    missing = [str(label) for name, label in CONDITION_CHECKS.items() if name not in condition]
    if missing:
        problems.append(
            _("The parcel cannot leave before its condition is checked: %(missing)s.")
            % {"missing": "; ".join(missing)}
        )
    if problems:
        raise PackingMismatch(shipment, problems)
    shipment.packed_at = timezone.now()
    shipment.packed_by = actor
    shipment.intact = shipment.complete = shipment.labelled = True
    return transition(
        shipment,
        SHIPMENT_MACHINE,
        "pack",
        history=ShipmentStatusChange,
        actor=actor,
        reason=_("packing checked; intact, complete and labelled"),
        update_fields=["packed_at", "packed_by", "intact", "complete", "labelled"],
    )


def first_poll_at(handed_over_at: datetime.datetime) -> datetime.datetime:
    """A fresh parcel's first poll: minutes after the handover, not the backoff's base
    wait, so that its first tracking line shows soon (the poll job runs every 5 minutes)."""
    return handed_over_at + datetime.timedelta(minutes=settings.MALL_LOGISTICS_FIRST_POLL_MINUTES)


def ship(
    *, shipment: Shipment, carrier: str, actor, now=None, tracking_number: str = ""
) -> Shipment:
    """Hand a packed shipment to ``carrier``: a waybill from the carrier's adapter (its
    tracking number and promised delivery date), every line's reservation consumed (the
    units leave the warehouse's ``on_hand`` and ``reserved``, sale movements in the
    ledger), polling scheduled, a history row, and a message to the shopper. The order
    moves to "shipped" once none of its live shipments is left in a warehouse. A tracking
    service (``needs_tracking_number``) follows ``tracking_number``, the waybill the
    carrier's own system printed.

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
    except CarrierError as error:
        logger.error("carrier without its keys", extra={"carrier": carrier, "error": str(error)})
        raise FulfilmentError(
            _("The carrier “%(carrier)s” is not available.") % {"carrier": carrier}
        ) from None
    if adapter.needs_tracking_number and not tracking_number:
        raise FulfilmentError(
            _("Type the tracking number of the waybill for %(carrier)s.")
            % {"carrier": adapter.label}
        )
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
                origin=Place(
                    province=warehouse.province,
                    city=warehouse.city,
                    address=warehouse.name,
                    contact=settings.MALL_SFEXPRESS_SENDER or warehouse.name,
                    mobile=settings.MALL_SFEXPRESS_SENDER_MOBILE,
                ),
                destination=Place(
                    province=order.province,
                    city=order.city,
                    district=order.district,
                    address=order.street,
                    contact=order.recipient,
                    mobile=order.mobile,
                ),
                weight_grams=sum(
                    line.quantity * line.order_line.sku.weight_grams for line in lines
                ),
                handed_over_at=now,
                tracking_number=tracking_number,
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
        if shipment.ship_by and now > shipment.ship_by:
            # Late: on the shopper's timeline, and counted in the carrier scorecard.
            OrderStatusChange.objects.create(
                subject=order,
                transition="dispatched_late",
                from_state=order.status,
                to_state=order.status,
                actor=actor,
                reason=stored_reason(
                    Label(
                        gettext_noop("parcel %(number)s left after its ship-by time %(time)s"),
                        number=shipment.number,
                        time=timezone.localtime(shipment.ship_by).strftime("%Y-%m-%d %H:%M"),
                    )
                ),
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


def paid_value(shipment: Shipment) -> Decimal:
    """What the shopper paid for the goods of ``shipment``: order prices × units, less
    their share of the order's discounts (in proportion to the goods' value)."""
    order = shipment.order
    value = goods_value(shipment)
    if order.goods_total <= 0:
        return Decimal("0.00")
    return to_money(value * (order.goods_total - order.discount_total) / order.goods_total)


@transaction.atomic
def cancel_part(*, shipment: Shipment, actor, reason: str):
    """Cancel one parcel of an order that ships in several (the goods cannot be sent from
    that warehouse after all) and refund the shopper what was paid for its goods
    (``paid_value``) through the order's payment, keyed ``part-<shipment number>`` so it
    pays once. Its reserved units go back on sale; the other parcels go on, and the order
    follows them. The shopper is told, and the order's timeline says which parcel.

    Raises ``FulfilmentError`` without a reason, for a parcel that is not an order's
    first shipment (a replacement), for the order's last live parcel (cancel the order
    instead) or an order without a payment; ``IllegalTransition`` once the parcel left
    the warehouse; ``RefundRefused`` beyond what is left of the payment. Nothing changes
    when it raises. Returns the refund.
    """
    if not reason.strip():
        raise FulfilmentError(_("Say why the parcel is cancelled."))
    order = Order.objects.select_for_update().get(pk=shipment.order_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.replaces_id or shipment.note:
        raise FulfilmentError(
            _("%(number)s is a replacement: cancel it without a refund.")
            % {"number": shipment.number}
        )
    others = order.shipments.exclude(pk=shipment.pk).exclude(status=Shipment.Status.CANCELLED)
    if not others.exists():
        raise FulfilmentError(
            _("%(number)s is the order's last parcel: cancel the order instead.")
            % {"number": shipment.number}
        )
    payment = order.payments.filter(paid_at__isnull=False).order_by("pk").first()
    if payment is None:
        raise FulfilmentError(_("This order has no payment to refund."))
    cancel_shipment(shipment=shipment, actor=actor, reason=reason)
    amount = paid_value(shipment)
    refund = payments.refund(
        payment=payment,
        amount=amount,
        reason=_("Parcel %(number)s cancelled: %(reason)s")
        % {"number": shipment.number, "reason": reason.strip()},
        idempotency_key=f"part-{shipment.number}",
        actor=actor,
    )
    OrderStatusChange.objects.create(
        subject=order,
        transition="cancel_part",
        from_state=order.status,
        to_state=order.status,
        actor=actor,
        reason=stored_reason(
            Label(
                gettext_noop("parcel %(number)s cancelled, %(amount)s refunded: %(reason)s"),
                number=shipment.number,
                amount=amount,
                reason=reason.strip(),
            )
        ),
    )
    notify_shopper(
        order=order,
        title=_("Part of your order is cancelled and refunded"),
        body=_(
            "Order %(order)s: parcel %(shipment)s cannot be sent, so we cancelled it and "
            "refund %(amount)s to where the payment came from. The rest of the order is on "
            "its way as planned."
        )
        % {"order": order.number, "shipment": shipment.number, "amount": f"¥{amount}"},
    )
    return refund


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
