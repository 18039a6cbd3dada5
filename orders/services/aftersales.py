"""After-sales (售后): returns, exchanges, refunds without return and repairs of delivered
goods, from the shopper's request to the money or the goods going back.

The case follows ``AFTER_SALES_MACHINE``; every step here is one service with its own
transaction that writes a timeline row (who, when, from, to, why)::

    requested → approved → in_transit → received → refunded | replacement_shipped | repaired
    approved → refunded (a refund without return needs no parcel)
    requested → rejected; requested | approved → withdrawn; done or rejected → closed

Who acts: the shopper requests, withdraws and sends the goods back; support staff with
``orders.decide_aftersalescase`` approve or reject (with a reason); the warehouse, with
``orders.inspect_aftersalescase``, receives and inspects, ships replacements and records
repairs. What follows a decision happens at once, in its own transaction after it: a
refund without return is refunded on approval, a return on inspection, an exchange's
replacement is sent on inspection. When that step is refused (stock short, the payment
has nothing left), the decision stands and the step waits for a person (the admin's
actions, see ``orders.admin.aftersales``); ``FollowUp.problem`` says why.

Guarantees:

- **No over-claim.** A case covers units of the order's lines; the order row is locked
  first, so two requests at once cannot claim the same units twice. Units stay covered by
  a live return or refund for good, by an exchange or a repair while it is open.
- **Windows by the law** (``claim_deadline``): counted in calendar days from the day after
  delivery. ``MALL_NO_REASON_RETURN_DAYS`` (7) for returns without a reason, refused for
  goods excluded from them (``Product.no_reason_return``); ``MALL_QUALITY_CLAIM_DAYS``
  (15) for returns, exchanges and refunds of faulty goods; ``MALL_WARRANTY_DAYS`` (365)
  for repairs. Every refusal is listed at once (``AfterSalesRefused.problems``).
- **Refunds pay once and never more than was paid** (``refund_case``): the amount comes
  from one policy function (``refund_due``); the payment's refund has the idempotency key
  ``aftersales-<case number>`` and the case row is locked, so repeated or concurrent
  attempts return the first refund; ``payments.refund`` keeps every refund of the payment
  within what it received.
- **Returned goods are booked.** Resaleable units go back to stock with a return
  movement (``inventory.return_to_stock``) in the warehouse that shipped them; the others
  are written off with a reason (they left the stock when they were sold).

Logger ``orders.aftersales``: automatic steps that did not happen.
"""

import datetime
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.services import inventory, media
from customers.services import notify
from mall.money import to_money
from mall.numbers import new_number
from mall.statemachine import IllegalTransition, transition
from mall.storage import MediaUnavailable

from ..exceptions import OrderError, OrderRefused
from ..models import (
    AFTER_SALES_MACHINE,
    OPEN_AFTER_SALES,
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesStatusChange,
    Order,
    OrderLine,
    Payment,
    Refund,
    Shipment,
    ShipmentLine,
)
from ..providers.base import ProviderError
from . import fulfilment, payments

logger = logging.getLogger("orders.aftersales")

Kind = AfterSalesCase.Kind
Reason = AfterSalesCase.Reason
Status = AfterSalesCase.Status

DECIDE = "orders.decide_aftersalescase"
INSPECT = "orders.inspect_aftersalescase"

# The goods were at fault: the seller pays the postage both ways.
FAULT_REASONS = frozenset(
    {
        Reason.QUALITY,
        Reason.DAMAGED,
        Reason.WRONG_ITEM,
        Reason.NOT_AS_DESCRIBED,
        Reason.MISSING,
    }
)
GOODS_COME_BACK = frozenset({Kind.RETURN, Kind.EXCHANGE, Kind.REPAIR})
MONEY_BACK = frozenset({Kind.RETURN, Kind.REFUND})
OPEN = OPEN_AFTER_SALES
CLAIMABLE_ORDERS = frozenset({Order.Status.DELIVERED, Order.Status.COMPLETED})
MAX_PHOTOS = 6
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")
# Carriers shoppers send goods back with (the case stores the code).
RETURN_CARRIERS = {
    "sf": gettext_lazy("SF Express"),
    "ems": gettext_lazy("China Post EMS"),
    "zto": gettext_lazy("ZTO Express"),
    "yto": gettext_lazy("YTO Express"),
    "sto": gettext_lazy("STO Express"),
    "yunda": gettext_lazy("Yunda Express"),
    "jd": gettext_lazy("JD Logistics"),
    "other": gettext_lazy("Other carrier"),
}


def carrier_label(code: str) -> str:
    return str(RETURN_CARRIERS.get(code, code))


class AfterSalesError(OrderError):
    """A step that cannot be done as asked; ``str(error)`` says why, for a person."""


class AfterSalesRefused(AfterSalesError, OrderRefused):
    """A request or an inspection that cannot be accepted; ``problems`` lists every reason."""


@dataclass(frozen=True)
class FollowUp:
    """A decision and what followed it: ``problem`` says why the automatic next step (the
    refund, the replacement) did not happen and waits for a person ("" when it did or
    none was due)."""

    case: AfterSalesCase
    problem: str = ""


def case_url(case: AfterSalesCase) -> str:
    return reverse("aftersales:case_detail", args=[case.number])


def refund_key(case: AfterSalesCase) -> str:
    """The refund's idempotency key: one refund per case, however often it is asked for."""
    return f"aftersales-{case.number}"


def _require(actor, permission: str) -> None:
    if actor is None or not actor.is_active or not actor.has_perm(permission):
        raise PermissionDenied


def _require_shopper(actor, case_or_order) -> None:
    if actor is None or actor.pk != case_or_order.user_id:
        raise PermissionDenied


def _locked(case: AfterSalesCase) -> tuple[Order, AfterSalesCase]:
    # Order first, then the case: the order of locks every after-sales step takes (and
    # every order service), so two steps never wait on each other crosswise.
    order = Order.objects.select_for_update().get(pk=case.order_id)
    locked = AfterSalesCase.objects.select_for_update().get(pk=case.pk)
    locked.order = order
    return order, locked


def _step(case, name, *, actor, reason="", update_fields=()) -> AfterSalesCase:
    return transition(
        case,
        AFTER_SALES_MACHINE,
        name,
        history=AfterSalesStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )


def _not_for_kind(case: AfterSalesCase, name: str):
    """``name`` is in the table from the case's state but not for its kind."""
    step = AFTER_SALES_MACHINE[name]
    allowed = [n for n in AFTER_SALES_MACHINE.allowed_from(case.status) if n != name]
    return IllegalTransition(case, step, case.status, allowed)


# --- Windows and what may still be claimed -------------------------------------------------


def window_days(*, kind: str, reason: str) -> int:
    """How many days after delivery a case of ``kind`` for ``reason`` may be asked for."""
    if kind == Kind.REPAIR:
        return settings.MALL_WARRANTY_DAYS
    if reason == Reason.NO_REASON:
        return settings.MALL_NO_REASON_RETURN_DAYS
    return settings.MALL_QUALITY_CLAIM_DAYS


def claim_deadline(order: Order, *, kind: str, reason: str) -> datetime.date | None:
    """The last day (the shop's local date) to ask: delivery day + the window, counted
    from the day after delivery as the consumer law counts (delivered on the 1st, a
    7-day window ends on the 8th). None while the order is not delivered."""
    if order.delivered_at is None:
        return None
    delivered_on = timezone.localdate(order.delivered_at)
    return delivered_on + datetime.timedelta(days=window_days(kind=kind, reason=reason))


def upheld_cases() -> QuerySet[AfterSalesCase]:
    """Cases that were not rejected (at any time, also closed afterwards) or withdrawn."""
    rejected = AfterSalesStatusChange.objects.filter(subject=OuterRef("pk"), transition="reject")
    return AfterSalesCase.objects.exclude(status__in=[Status.REJECTED, Status.WITHDRAWN]).exclude(
        Exists(rejected)
    )


def claimed_units(order: Order) -> dict[int, int]:
    """Units of each order line (by pk) that live cases cover: returns and refunds for
    good, exchanges and repairs while they are open (the replaced or repaired goods can
    be claimed again)."""
    covering = upheld_cases().filter(Q(kind__in=MONEY_BACK) | Q(status__in=OPEN))
    rows = (
        AfterSalesLine.objects.filter(order_line__order=order, case__in=covering)
        .values("order_line")
        .annotate(units=Sum("quantity"))
        .values_list("order_line", "units")
    )
    return dict(rows)


def claimable_units(order: Order) -> dict[int, int]:
    """Units of each order line (by pk) a new case may still ask about."""
    claimed = claimed_units(order)
    return {line.pk: line.quantity - claimed.get(line.pk, 0) for line in order.lines.all()}


# --- The shopper asks ----------------------------------------------------------------------


def _window_problem(order, kind, reason, today) -> str | None:
    deadline = claim_deadline(order, kind=kind, reason=reason)
    if deadline is None or today <= deadline:
        return None
    days = window_days(kind=kind, reason=reason)
    if kind == Kind.REPAIR:
        what = _("The %(days)s-day warranty of this order ended on %(date)s.")
    elif reason == Reason.NO_REASON:
        what = _(
            "Returns without a reason are possible for %(days)s days after delivery: until "
            "%(date)s."
        )
    else:
        what = _(
            "Claims for faulty goods are possible for %(days)s days after delivery: until %(date)s."
        )
    return what % {"days": days, "date": deadline.isoformat()}


def request_case(
    *,
    order: Order,
    actor,
    kind: str,
    reason: str,
    lines: Iterable[tuple[OrderLine | int, int]],
    description: str = "",
    photos: Iterable = (),
    now: datetime.datetime | None = None,
) -> AfterSalesCase:
    """The shopper of ``order`` asks for ``kind`` (return, exchange, refund without
    return, repair) for ``reason`` about ``lines`` (``(order line or its pk, units)``;
    lines with 0 units are left out), with a description and photos (uploads: re-encoded
    as JPEG, EXIF dropped, at most ``MAX_PHOTOS``). Returns the case, ``requested``.

    Refuses with ``AfterSalesRefused`` listing every problem at once: the order is not
    delivered; the window for the kind and reason has ended (``claim_deadline``); a
    return without a reason of goods excluded from it (the product's after-sales terms
    say why); a kind other than a return without a fault reason; no units, units of
    another order or more units than are left to claim (``claimable_units``, counted
    under the order's row lock, so two requests at once cannot over-claim); no photo for
    a fault; a photo that is not an image or too large. Writes nothing then. Raises
    ``PermissionDenied`` unless ``actor`` is the order's shopper.
    """
    _require_shopper(actor, order)
    today = timezone.localdate(now or timezone.now())
    photos = list(photos)
    processed, photo_problems = media.process_photos(photos, limit=MAX_PHOTOS)
    problems = list(photo_problems)
    description = description.strip()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in CLAIMABLE_ORDERS or order.delivered_at is None:
            raise AfterSalesRefused(
                [_("After-sales requests are possible once the order has been delivered.")]
            )
        if kind not in Kind.values:
            problems.append(
                _("Choose what you would like: a return, an exchange, a refund or a repair.")
            )
        if reason not in Reason.values:
            problems.append(_("Choose the reason."))
        if kind in Kind.values and reason in Reason.values:
            if reason == Reason.NO_REASON and kind != Kind.RETURN:
                problems.append(
                    _(
                        "Without a fault only a return is possible; exchanges, refunds without "
                        "return and repairs are for faulty goods."
                    )
                )
            else:
                window = _window_problem(order, kind, reason, today)
                if window:
                    problems.append(window)
        order_lines = {line.pk: line for line in order.lines.select_related("sku__product")}
        wanted: dict[int, int] = {}
        for line, units in lines:
            line_pk = line if isinstance(line, int) else line.pk
            if line_pk not in order_lines:
                problems.append(_("Choose items of this order only."))
                continue
            if units:
                wanted[line_pk] = wanted.get(line_pk, 0) + units
        if not wanted:
            problems.append(_("Choose at least one item and how many units."))
        left = claimable_units(order)
        for line_pk, units in wanted.items():
            line = order_lines[line_pk]
            if units < 0 or units > left[line_pk]:
                problems.append(
                    _(
                        "%(item)s: you can ask about at most %(left)s of the %(bought)s units "
                        "bought."
                    )
                    % {"item": line.product_name, "left": left[line_pk], "bought": line.quantity}
                )
            if reason == Reason.NO_REASON and not line.sku.product.no_reason_return:
                terms = line.sku.product.after_sales_terms.strip() or _(
                    "goods such as fresh food and custom-made goods are excluded by law"
                )
                problems.append(
                    _("%(item)s cannot be returned without a reason: %(terms)s")
                    % {"item": line.product_name, "terms": terms}
                )
        if reason in FAULT_REASONS and not processed and not photo_problems:
            problems.append(_("Add at least one photo that shows the problem."))
        if problems:
            raise AfterSalesRefused(problems)
        case = AfterSalesCase.objects.create(
            number=new_number("AS"),
            order=order,
            user=order.user,
            kind=kind,
            reason=reason,
            description=description,
        )
        AfterSalesLine.objects.bulk_create(
            AfterSalesLine(case=case, order_line_id=line_pk, quantity=units)
            for line_pk, units in sorted(wanted.items())
        )
        try:
            for content in processed:
                photo = AfterSalesPhoto(case=case)
                photo.image.save(content.name, content, save=True)
        except MediaUnavailable as error:  # the rollback takes the case, and its files
            raise AfterSalesRefused([str(error)]) from error
        AfterSalesStatusChange.objects.create(
            subject=case,
            transition="request",
            from_state="",
            to_state=case.status,
            actor=actor,
            reason=description[:1000],
        )
    return case


# --- Support decides -----------------------------------------------------------------------


def return_instructions(case: AfterSalesCase) -> str:
    """What the shopper does after approval: where to send the goods and who pays the
    postage (the seller when the goods were at fault: send freight collect)."""
    if case.kind not in GOODS_COME_BACK:
        return _("No need to send anything back: the refund is on its way.")
    if case.reason in FAULT_REASONS:
        postage = _(
            "The goods were at fault, so we pay the postage: send them freight collect (到付)."
        )
    else:
        postage = _(
            "A return without a reason is sent at your own cost; please do not send it freight "
            "collect."
        )
    return _(
        "Please send the goods, with all parts and the packaging, to: %(address)s. "
        "Write the case number %(number)s on the parcel. %(postage)s "
        "Then enter the carrier and tracking number on the case page."
    ) % {"address": settings.MALL_RETURN_ADDRESS, "number": case.number, "postage": postage}


def approve_case(*, case: AfterSalesCase, actor, note: str = "") -> FollowUp:
    """Support approves a requested case (``note`` optional, on the timeline) and tells
    the shopper what to do next. A refund without return is refunded right after (its
    own transaction: if the refund is refused, the approval stands and
    ``FollowUp.problem`` says why). Raises ``PermissionDenied`` without
    ``orders.decide_aftersalescase`` and ``IllegalTransition`` unless requested."""
    _require(actor, DECIDE)
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "approve", actor=actor, reason=note.strip())
        notify(
            user=case.user,
            title=_("After-sales case %(number)s is approved") % {"number": case.number},
            body=return_instructions(case),
            link=case_url(case),
        )
    return _follow_up(case, actor)


def reject_case(*, case: AfterSalesCase, actor, reason: str) -> AfterSalesCase:
    """Support rejects a requested case; the reason is required, recorded on the
    timeline and sent to the shopper. Raises ``AfterSalesError`` without a reason,
    ``PermissionDenied`` without ``orders.decide_aftersalescase``, ``IllegalTransition``
    unless requested."""
    _require(actor, DECIDE)
    if not reason.strip():
        raise AfterSalesError(_("Say why the request is rejected: the shopper reads it."))
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "reject", actor=actor, reason=reason.strip())
        notify(
            user=case.user,
            title=_("After-sales case %(number)s is rejected") % {"number": case.number},
            body=reason.strip(),
            link=case_url(case),
        )
    return case


def close_case(*, case: AfterSalesCase, actor, reason: str = "") -> AfterSalesCase:
    """Close a case that is done (rejected, refunded, replacement shipped, repaired).
    Support staff or the warehouse; raises ``PermissionDenied`` for anyone else,
    ``IllegalTransition`` from any other state."""
    if actor is None or not (actor.has_perm(DECIDE) or actor.has_perm(INSPECT)):
        raise PermissionDenied
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "close", actor=actor, reason=reason.strip())
    return case


# --- The shopper ---------------------------------------------------------------------------


def withdraw_case(*, case: AfterSalesCase, actor, reason: str = "") -> AfterSalesCase:
    """The shopper withdraws their request, before the goods are on their way back. Its
    units may be claimed again. Raises ``PermissionDenied`` for anyone but the case's
    shopper and ``IllegalTransition`` unless requested or approved."""
    _require_shopper(actor, case)
    with transaction.atomic():
        _order, case = _locked(case)
        _step(case, "withdraw", actor=actor, reason=reason.strip())
    return case


def send_back(*, case: AfterSalesCase, actor, carrier: str, tracking_number: str) -> AfterSalesCase:
    """The shopper has sent the goods back with ``carrier`` (a code of ``RETURN_CARRIERS``)
    under ``tracking_number``. Raises ``AfterSalesRefused`` for another carrier or a
    tracking number that is not 6–40 letters, digits or dashes, ``AfterSalesError`` for a
    refund without return, ``PermissionDenied`` for anyone but the case's shopper,
    ``IllegalTransition`` unless approved."""
    _require_shopper(actor, case)
    carrier, tracking_number = carrier.strip(), tracking_number.strip().upper()
    problems = []
    if carrier not in RETURN_CARRIERS:
        problems.append(_("Choose the carrier."))
    if not TRACKING_NUMBER.match(tracking_number):
        problems.append(_("Enter the tracking number: 6 to 40 letters, digits or dashes."))
    with transaction.atomic():
        _order, case = _locked(case)
        if case.kind not in GOODS_COME_BACK:
            raise AfterSalesError(_("A refund without return needs no parcel."))
        AFTER_SALES_MACHINE.check(case, "send_back")
        if problems:
            raise AfterSalesRefused(problems)
        case.return_carrier = carrier
        case.return_tracking_number = tracking_number
        _step(
            case,
            "send_back",
            actor=actor,
            reason=f"{carrier_label(carrier)} {tracking_number}",
            update_fields=["return_carrier", "return_tracking_number"],
        )
    return case


# --- The warehouse -------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """What the warehouse found for one case line: units fit to sell again, units written
    off and why."""

    resaleable: int = 0
    written_off: int = 0
    write_off_reason: str = ""


def _return_warehouse(order_line: OrderLine):
    """Where the units of ``order_line`` came from: the warehouse of the last delivered
    parcel that carried them, else the one its reservation was taken in."""
    shipped = (
        ShipmentLine.objects.filter(
            order_line=order_line, shipment__status=Shipment.Status.DELIVERED
        )
        .select_related("shipment__warehouse")
        .order_by("-shipment__delivered_at", "-pk")
        .first()
    )
    if shipped is not None:
        return shipped.shipment.warehouse
    return order_line.reservation.stock.warehouse


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
    movement in the warehouse that shipped them; written-off units stay out. Units
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
            case.lines.select_related("order_line__sku", "order_line__reservation__stock").order_by(
                "order_line__sku_id", "pk"
            )
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
            if found.resaleable:
                inventory.return_to_stock(
                    sku=line.order_line.sku,
                    warehouse=_return_warehouse(line.order_line),
                    quantity=found.resaleable,
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


def ship_replacement(*, case: AfterSalesCase, actor) -> list[Shipment]:
    """Send the replacement of an exchange: the units received, as new shipments to pick
    (``fulfilment.create_replacement``). Returns the shipments; the case keeps the first.
    Raises ``FulfilmentError`` when stock is short (nothing written; try again later),
    ``AfterSalesError`` for a case that is not an exchange, ``PermissionDenied`` without
    ``orders.inspect_aftersalescase``, ``IllegalTransition`` unless received."""
    _require(actor, INSPECT)
    with transaction.atomic():
        order, case = _locked(case)
        if case.kind != Kind.EXCHANGE:
            raise _not_for_kind(case, "ship_replacement")
        AFTER_SALES_MACHINE.check(case, "ship_replacement")
        items = [
            (line.order_line, line.resaleable + line.written_off)
            for line in case.lines.select_related("order_line").order_by("pk")
            if line.resaleable + line.written_off
        ]
        shipments = fulfilment.create_replacement(
            order=order,
            items=items,
            actor=actor,
            note=_("Exchange for after-sales case %(number)s") % {"number": case.number},
        )
        case.replacement = shipments[0]
        _step(
            case,
            "ship_replacement",
            actor=actor,
            reason=", ".join(shipment.number for shipment in shipments),
            update_fields=["replacement"],
        )
        notify(
            user=case.user,
            title=_("The replacement for after-sales case %(number)s is being packed")
            % {"number": case.number},
            link=case_url(case),
        )
    return shipments


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


# --- Money back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundDue:
    goods: Decimal
    shipping: Decimal
    lines: dict[int, Decimal] = field(default_factory=dict)  # case line pk -> goods part

    @property
    def total(self) -> Decimal:
        return self.goods + self.shipping


def refund_units(line: AfterSalesLine, kind: str) -> int:
    """Units of a case line the shopper gets money back for: all claimed units of a
    refund without return, the units that arrived of a return, none otherwise."""
    if kind == Kind.REFUND:
        return line.quantity
    if kind == Kind.RETURN:
        return line.resaleable + line.written_off
    return 0


def refund_due(case: AfterSalesCase) -> RefundDue:
    """What the shop refunds for ``case``: THE after-sales refund policy.

    - **Goods**: each refunded unit (``refund_units``: the units that arrived of a return,
      all claimed units of a refund without return) at its order line's unit price, less
      its pro-rated share of the order's discounts (discounts apply to the goods:
      goods paid = goods total − discounts, shared in proportion to the unit prices).
    - **Shipping**: when the goods were at fault (quality, damaged, wrong item, not as
      described, parts missing) the seller pays: the original shipping fee is refunded in
      proportion to the goods' share of the order (at unit prices), and the return parcel
      is sent freight collect at the shop's cost. A return without a reason refunds no
      shipping, and its postage back is the shopper's.
    - **Never more than was paid**: amounts are cumulative over the order's refunded
      cases, rounded once (``to_money``) on the running total and differenced, so the
      cases of one order add up to at most goods paid + shipping fee, to the cent, in
      whatever parts they come.

    Exchanges and repairs refund nothing. Reads the order's earlier refunded cases; the
    caller holds the order's row lock (``refund_case`` does).
    """
    order = case.order
    lines = list(case.lines.select_related("order_line").order_by("pk"))
    if order.goods_total <= 0 or case.kind not in MONEY_BACK:
        return RefundDue(
            Decimal("0.00"), Decimal("0.00"), {line.pk: Decimal("0.00") for line in lines}
        )
    earlier = (
        AfterSalesLine.objects.filter(case__order=order, case__refund_amount__isnull=False)
        .exclude(case=case)
        .select_related("case", "order_line")
    )
    before = before_fault = Decimal(0)
    for line in earlier:
        value = line.order_line.unit_price * refund_units(line, line.case.kind)
        before += value
        if line.case.reason in FAULT_REASONS:
            before_fault += value
    values = {line.pk: line.order_line.unit_price * refund_units(line, case.kind) for line in lines}
    this = sum(values.values(), Decimal(0))
    paid_goods = order.goods_total - order.discount_total

    def goods_paid(value):  # unit-price value -> what was paid for it, not yet rounded
        return value * paid_goods / order.goods_total

    goods = to_money(goods_paid(before + this)) - to_money(goods_paid(before))
    shipping = Decimal("0.00")
    if case.reason in FAULT_REASONS and order.shipping_fee > 0:
        fee = order.shipping_fee
        shipping = to_money(fee * (before_fault + this) / order.goods_total) - to_money(
            fee * before_fault / order.goods_total
        )
    # The goods part by line (for the report), the rounding difference on the largest.
    by_line = {pk: to_money(goods_paid(value)) for pk, value in values.items()}
    if by_line:
        largest = max(by_line, key=lambda pk: (by_line[pk], -pk))
        by_line[largest] += goods - sum(by_line.values(), Decimal(0))
    return RefundDue(goods=goods, shipping=shipping, lines=by_line)


def refund_case(*, case: AfterSalesCase, actor) -> Refund | None:
    """Refund a return that was received, or a refund without return that was approved,
    by the policy (``refund_due``), through the order's payment and its provider. Returns
    the ``Refund`` (``pending`` until the provider paid it, after commit), or None when
    nothing was paid for the goods.

    Pays once: the order and case rows are locked, a case refunded already returns its
    refund, and the payment's refund is keyed ``aftersales-<case number>``; the payment
    never refunds more than it received. The caller checks who may refund (support on
    approval, the warehouse on inspection, an operator retrying in the admin).

    Raises ``RefundRefused`` (what is left of the payment, written nothing) when the
    payment has less left than is due, ``AfterSalesError`` for an exchange or a repair or
    an order without payment, ``IllegalTransition`` otherwise.
    """
    with transaction.atomic():
        order, case = _locked(case)
        if case.refund_amount is not None:
            return case.refund
        if case.kind not in MONEY_BACK:
            raise _not_for_kind(case, "refund")
        ready = Status.RECEIVED if case.kind == Kind.RETURN else Status.APPROVED
        if case.status != ready:
            if AFTER_SALES_MACHINE.can(case, "refund"):
                raise _not_for_kind(case, "refund")
            AFTER_SALES_MACHINE.check(case, "refund")
        due = refund_due(case)
        refund = None
        if due.total > 0:
            payment = order.payments.filter(status=Payment.Status.SUCCEEDED).first()
            if payment is None:
                raise AfterSalesError(
                    _("Order %(order)s has no payment to refund.") % {"order": order.number}
                )
            refund = payments.refund(
                payment=payment,
                amount=due.total,
                reason=_("After-sales case %(number)s: goods %(goods)s, shipping %(shipping)s")
                % {"number": case.number, "goods": due.goods, "shipping": due.shipping},
                idempotency_key=refund_key(case),
                actor=actor,
            )
        for line_pk, amount in due.lines.items():
            AfterSalesLine.objects.filter(pk=line_pk).update(refund_amount=amount)
        case.refund_amount = due.goods
        case.shipping_refund = due.shipping
        case.refund = refund
        _step(
            case,
            "refund",
            actor=actor,
            reason=_("%(total)s refunded: goods %(goods)s, shipping %(shipping)s")
            % {"total": due.total, "goods": due.goods, "shipping": due.shipping},
            update_fields=["refund_amount", "shipping_refund", "refund"],
        )
        notify(
            user=case.user,
            title=_("%(amount)s is refunded for after-sales case %(number)s")
            % {"amount": due.total, "number": case.number},
            body=_(
                "The money goes back to where it came from; this takes up to a few working days."
            ),
            link=case_url(case),
        )
    return refund


def retry_refund(*, case: AfterSalesCase, actor) -> Refund | None:
    """For a person, when the automatic refund did not go through: make the case's refund
    (``refund_case``: nothing new if it exists) and, if the provider refused it before,
    submit it again (the provider pays once per refund number). Raises what
    ``refund_case`` raises, and ``ProviderError`` when the provider does not answer."""
    refund = refund_case(case=case, actor=actor)
    if refund is not None and refund.status == Refund.Status.FAILED:
        refund = payments.retry_refund(refund=refund, actor=actor)
    return refund


# --- What follows a decision ---------------------------------------------------------------


def _follow_up(case: AfterSalesCase, actor) -> FollowUp:
    """The automatic next step after an approval or an inspection, in its own
    transaction (a savepoint inside a caller's): a refused step leaves the decision as it
    is and is reported, for a person to finish."""
    try:
        if (case.kind == Kind.REFUND and case.status == Status.APPROVED) or (
            case.kind == Kind.RETURN and case.status == Status.RECEIVED
        ):
            refund_case(case=case, actor=actor)
        elif case.kind == Kind.EXCHANGE and case.status == Status.RECEIVED:
            ship_replacement(case=case, actor=actor)
    except (OrderError, IllegalTransition, PermissionDenied, ProviderError) as error:
        logger.warning(
            "after-sales step waits for a person",
            extra={"case": case.number, "status": case.status, "error": str(error)},
        )
        return FollowUp(case=case, problem=str(error) or _("not allowed"))
    case.refresh_from_db()
    return FollowUp(case=case)
