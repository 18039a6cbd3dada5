"""The warehouse receives what came back and inspects it: per line, units back to stock
(a return movement) or written off with a reason; repairs are recorded here too."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import inventory
from customers.services import notify

from ...exceptions import AfterSalesError, AfterSalesRefused
from ...models import (
    AFTER_SALES_MACHINE,
    AfterSalesCase,
    AfterSalesLine,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from .outcomes import _follow_up
from .rules import INSPECT, FollowUp, Kind, _locked, _not_for_kind, _require, _step, case_url

# --- The warehouse -------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """What the warehouse found for one case line: units fit to sell again, units written
    off and why."""

    resaleable: int = 0
    written_off: int = 0
    write_off_reason: str = ""


def return_warehouses(order_line: OrderLine, units: int, *, before: int = 0) -> list[tuple]:
    """Where ``units`` resaleable units of ``order_line`` go back: ``(warehouse, units)``
    pairs. Each goes to the warehouse that shipped it, since a line split over
    warehouses came in several parcels: the delivered parcels that carried the line are
    filled newest first, each up to the units it carried, after the ``before`` units
    earlier cases sent back (so a second return of the line goes on where the first
    stopped). Units beyond what the parcels carried go to the last one; a line with no
    delivered parcel returns to the warehouse its first part was reserved in."""
    shipped = list(
        ShipmentLine.objects.filter(
            order_line=order_line, shipment__status=Shipment.Status.DELIVERED
        )
        .select_related("shipment__warehouse")
        .order_by("-shipment__delivered_at", "-pk")
    )
    if not shipped:
        part = order_line.parts.select_related("reservation__stock__warehouse").first()
        return [(part.reservation.stock.warehouse, units)] if units else []
    places: dict[int, list] = {}
    start, end, carried = before, before + units, 0
    for line in shipped:
        low, high = max(start, carried), min(end, carried + line.quantity)
        if high > low:
            places.setdefault(line.shipment.warehouse_id, [line.shipment.warehouse, 0])[1] += (
                high - low
            )
        carried += line.quantity
    beyond = end - max(start, carried)
    if beyond > 0:
        last = shipped[-1].shipment.warehouse
        places.setdefault(last.pk, [last, 0])[1] += beyond
    return [(warehouse, count) for warehouse, count in places.values()]


def _inspection_problems(case, lines, results) -> list[str]:
    problems = []
    received = 0
    for line in lines:
        found = results.get(line.pk, Inspection())
        name = line.order_line.product_name
        if found.resaleable < 0 or found.written_off < 0:
            problems.append(_("%(item)s: counts cannot be negative.") % {"item": name})
            continue
        if case.kind == Kind.REPAIR and (found.resaleable or found.written_off):
            problems.append(
                _(
                    "%(item)s: goods in for repair go back to the shopper; count nothing into "
                    "stock or write-off."
                )
                % {"item": name}
            )
            continue
        if found.resaleable + found.written_off > line.quantity:
            problems.append(
                _("%(item)s: %(count)s units were claimed; count no more than that.")
                % {"item": name, "count": line.quantity}
            )
        if found.written_off and not found.write_off_reason.strip():
            problems.append(_("%(item)s: say why units are written off.") % {"item": name})
        received += found.resaleable + found.written_off
    if case.kind != Kind.REPAIR and not problems and received == 0:
        problems.append(_("Count at least one unit received."))
    return problems


def receive_and_inspect(
    *,
    case: AfterSalesCase,
    actor,
    results: Mapping[int, Inspection],
    note: str = "",
) -> FollowUp:
    """The warehouse receives the goods of a case on its way back and records, per case
    line (``results``: case line pk -> ``Inspection``), the units fit to sell again and
    those written off (with a reason). Resaleable units go back to stock with a return
    movement in the warehouse that shipped them (``return_warehouses``: split over the
    warehouses of a line that came in several parcels); written-off units stay out. Units
    missing from the parcel (fewer counted than claimed) need a ``note``. Goods in for
    repair are only received (they go back to the shopper): count nothing.

    Then, in its own transaction, a return is refunded for the units received and an
    exchange's replacement is sent; if that is refused, the inspection stands and
    ``FollowUp.problem`` says why. Raises ``AfterSalesRefused`` (every problem at once),
    ``PermissionDenied`` without ``orders.inspect_aftersalescase``, ``IllegalTransition``
    unless the goods are on their way back.
    """
    _require(actor, INSPECT)
    note = note.strip()
    with transaction.atomic():
        _order, case = _locked(case)
        AFTER_SALES_MACHINE.check(case, "receive")
        lines = list(
            case.lines.select_related("order_line__sku").order_by("order_line__sku_id", "pk")
        )
        problems = _inspection_problems(case, lines, results)
        counted = {line.pk: results.get(line.pk, Inspection()) for line in lines}
        missing = sum(
            line.quantity - counted[line.pk].resaleable - counted[line.pk].written_off
            for line in lines
        )
        if case.kind != Kind.REPAIR and missing > 0 and not note and not problems:
            problems.append(_("Fewer units arrived than were claimed: say so in the note."))
        if problems:
            raise AfterSalesRefused(problems)
        summary = []
        for line in lines:
            found = counted[line.pk]
            AfterSalesLine.objects.filter(pk=line.pk).update(
                resaleable=found.resaleable,
                written_off=found.written_off,
                write_off_reason=found.write_off_reason.strip()[:200],
            )
            earlier = AfterSalesLine.objects.filter(order_line=line.order_line, resaleable__gt=0)
            before = earlier.exclude(case=case).aggregate(units=Sum("resaleable"))["units"]
            for warehouse, units in return_warehouses(
                line.order_line, found.resaleable, before=before or 0
            ):
                inventory.return_to_stock(
                    sku=line.order_line.sku,
                    warehouse=warehouse,
                    quantity=units,
                    actor=actor,
                    reference=case.number,
                )
            if case.kind != Kind.REPAIR:
                text = _("%(item)s: %(back)s back to stock, %(off)s written off") % {
                    "item": line.order_line.product_name,
                    "back": found.resaleable,
                    "off": found.written_off,
                }
                if found.written_off:
                    text += f" ({found.write_off_reason.strip()})"
                summary.append(text)
        if note:
            summary.append(note)
        case.inspected_by = actor
        case.inspected_at = timezone.now()
        case.inspection_note = note
        _step(
            case,
            "receive",
            actor=actor,
            reason="; ".join(summary),
            update_fields=["inspected_by", "inspected_at", "inspection_note"],
        )
        notify(
            user=case.user,
            title=_("We received the goods of after-sales case %(number)s")
            % {"number": case.number},
            link=case_url(case),
        )
    return _follow_up(case, actor)


def repair_case(*, case: AfterSalesCase, actor, note: str) -> AfterSalesCase:
    """Record that the goods of a repair case were repaired and sent back; ``note`` (what
    was done, the parcel's carrier and number) is required and shown to the shopper.
    Raises ``AfterSalesError`` without a note or for a case that is not a repair,
    ``PermissionDenied`` without ``orders.inspect_aftersalescase``, ``IllegalTransition``
    unless received."""
    _require(actor, INSPECT)
    if not note.strip():
        raise AfterSalesError(_("Say what was repaired and how the goods are sent back."))
    with transaction.atomic():
        _order, case = _locked(case)
        if case.kind != Kind.REPAIR:
            raise _not_for_kind(case, "repair")
        _step(case, "repair", actor=actor, reason=note.strip())
        notify(
            user=case.user,
            title=_("Your goods of after-sales case %(number)s are repaired")
            % {"number": case.number},
            body=note.strip(),
            link=case_url(case),
        )
    return case
