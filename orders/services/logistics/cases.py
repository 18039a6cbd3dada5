"""Logistics exception cases (delayed, lost, damaged): one open case per shipment and kind,
resolved by an operator with a reshipment, a refund, a claim on the carrier, or closing
without action, each with a resolution text and what it cost."""

import logging
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money
from mall.statemachine import transition

from ...carriers import registry as carriers
from ...carriers.base import CarrierError
from ...exceptions import LogisticsError
from ...models import (
    LOGISTICS_CASE_MACHINE,
    LogisticsCase,
    LogisticsCaseChange,
    Order,
    Payment,
    Shipment,
)
from .. import fulfilment, payments

logger = logging.getLogger("orders.logistics")


# --- Cases -----------------------------------------------------------------------------------


def open_case(*, shipment: Shipment, kind: str, detail: str = "", now=None):
    """Open a case of ``kind`` for ``shipment`` unless one of that kind is open already;
    returns ``(case, created)``. Safe against a concurrent twin (the partial unique
    index decides)."""
    existing = LogisticsCase.objects.filter(
        shipment=shipment, kind=kind, status=LogisticsCase.Status.OPEN
    ).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    try:
        with transaction.atomic():
            case = LogisticsCase.objects.create(
                shipment=shipment,
                kind=kind,
                detail=detail[:200],
                opened_at=now,
                status_changed_at=now,
            )
            LogisticsCaseChange.objects.create(
                subject=case, transition="open", from_state="", to_state=case.status, reason=detail
            )
    except IntegrityError:
        return LogisticsCase.objects.get(
            shipment=shipment, kind=kind, status=LogisticsCase.Status.OPEN
        ), False
    logger.info(
        "logistics case opened",
        extra={"shipment": shipment.number, "kind": kind, "detail": detail},
    )
    return case, True


def _decimal(value, what: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = to_money(value)
    except (InvalidOperation, ValueError, TypeError) as error:
        raise LogisticsError(_("Give %(what)s as a number.") % {"what": what}) from error
    if amount < 0:
        raise LogisticsError(_("%(what)s cannot be negative.") % {"what": what})
    return amount


def _claim(case: LogisticsCase, amount: Decimal, reason: str) -> Decimal:
    shipment = case.shipment
    try:
        receipt = carriers.get_carrier(shipment.carrier).file_claim(
            tracking_number=shipment.tracking_number,
            amount=amount,
            reason=reason,
            reference=f"logistics-case-{case.pk}",
        )
    except carriers.UnknownCarrier:
        raise LogisticsError(
            _("The carrier “%(carrier)s” is not available.") % {"carrier": shipment.carrier}
        ) from None
    except CarrierError as error:
        logger.warning("claim not accepted", extra={"case": case.pk, "error": str(error)})
        raise LogisticsError(
            _("The carrier did not accept the claim: %(error)s") % {"error": error}
        ) from error
    return to_money(receipt.amount)


def _resolve(case, name, *, actor, resolution, act):
    """Lock the order and the case, check the transition, ``act(case, order)`` (which sets the
    case's figures and returns the fields it changed), then transition with the
    resolution, and let the order follow its parcels."""
    if not resolution.strip():
        raise LogisticsError(_("Say how the case is resolved."))
    with transaction.atomic():
        order_id = Shipment.objects.values_list("order_id", flat=True).get(pk=case.shipment_id)
        order = Order.objects.select_for_update().get(pk=order_id)
        case = (
            LogisticsCase.objects.select_for_update(of=("self",))
            .select_related("shipment")
            .get(pk=case.pk)
        )
        LOGISTICS_CASE_MACHINE.check(case, name)
        fields = act(case, order)
        case.resolution = resolution.strip()
        case.resolved_by = actor
        case.resolved_at = timezone.now()
        transition(
            case,
            LOGISTICS_CASE_MACHINE,
            name,
            history=LogisticsCaseChange,
            actor=actor,
            reason=resolution.strip(),
            update_fields=[*fields, "resolution", "resolved_by", "resolved_at"],
        )
        fulfilment.follow_shipments(order=order, actor=actor)
    return case


def _tell_shopper(order, case, title: str, body: str, **words) -> None:
    """Keep the promise of the loss or delay notice: the shopper hears how it is solved."""
    words = {"order": order.number, "shipment": case.shipment.number, **words}
    fulfilment.notify_shopper(order=order, title=title, body=body % words)


def reship_case(*, case, actor, resolution: str, cost=None, claim_amount=None):
    """Send the case's parcel again (``fulfilment.reship``: new reservations, new
    shipments to pick, marked as replacing it). ``cost`` defaults to the goods at the
    order's prices plus ``MALL_RESHIP_POSTAGE``; with ``claim_amount`` the carrier is
    also claimed against (``recovered``). Raises ``LogisticsError`` (no resolution, a
    bad amount, the carrier refusing the claim), ``FulfilmentError`` (stock short) and
    ``IllegalTransition`` unless the case is open; nothing changes then."""
    cost, claim_amount = _decimal(cost, _("the cost")), _decimal(claim_amount, _("the claim"))

    def act(case, order):
        shipments = fulfilment.reship(shipment=case.shipment, actor=actor, note=resolution[:200])
        case.reshipment = shipments[0]
        case.cost = (
            cost
            if cost is not None
            else fulfilment.goods_value(case.shipment) + to_money(settings.MALL_RESHIP_POSTAGE)
        )
        if claim_amount:
            case.recovered = _claim(case, claim_amount, resolution)
        _tell_shopper(
            order,
            case,
            _("We are sending your parcel again"),
            _(
                "Order %(order)s: parcel %(shipment)s is sent again as parcel %(new)s. You "
                "will hear when it leaves the warehouse."
            ),
            new=shipments[0].number,
        )
        return ["reshipment", "cost", "recovered"]

    return _resolve(case, "reship", actor=actor, resolution=resolution, act=act)


def refund_case(*, case, actor, resolution: str, amount=None, claim_amount=None):
    """Refund the shopper for the case's parcel through the order's payment
    (``payments.refund``, idempotency key ``logistics-case-<id>``): ``amount`` defaults
    to the goods at the order's prices; it is the case's cost. With ``claim_amount`` the
    carrier is also claimed against. Raises ``LogisticsError`` (no resolution, no paid
    payment, a bad amount), ``RefundRefused`` (beyond what is left of the payment) and
    ``IllegalTransition`` unless the case is open; nothing changes then."""
    amount, claim_amount = _decimal(amount, _("the amount")), _decimal(claim_amount, _("the claim"))

    def act(case, order):
        payment = Payment.objects.filter(
            order_id=case.shipment.order_id, status=Payment.Status.SUCCEEDED
        ).first()
        if payment is None:
            raise LogisticsError(_("This order has no payment to refund."))
        money = amount if amount is not None else fulfilment.goods_value(case.shipment)
        case.refund = payments.refund(
            payment=payment,
            amount=money,
            reason=resolution.strip()[:200],
            idempotency_key=f"logistics-case-{case.pk}",
            actor=actor,
        )
        case.cost = case.refund.amount
        _tell_shopper(
            order,
            case,
            _("We are refunding you for a parcel"),
            _(
                "Order %(order)s: for parcel %(shipment)s we refund %(amount)s to where "
                "the payment came from."
            ),
            amount=f"¥{case.refund.amount}",
        )
        if claim_amount:
            case.recovered = _claim(case, claim_amount, resolution)
        return ["refund", "cost", "recovered"]

    return _resolve(case, "refund", actor=actor, resolution=resolution, act=act)


def claim_case(*, case, actor, resolution: str, amount=None, cost=None):
    """Claim ``amount`` from the carrier (its adapter's ``file_claim``, once per case);
    what it pays is ``recovered``. ``amount`` and ``cost`` (the loss the shop carries)
    default to the goods at the order's prices. Raises ``LogisticsError`` (no resolution,
    a bad amount, the carrier refusing) and ``IllegalTransition`` unless the case is
    open; nothing changes then."""
    amount, cost = _decimal(amount, _("the claim")), _decimal(cost, _("the cost"))

    def act(case, order):
        value = fulfilment.goods_value(case.shipment)
        case.cost = cost if cost is not None else value
        case.recovered = _claim(case, amount or value, resolution)
        return ["cost", "recovered"]

    return _resolve(case, "claim", actor=actor, resolution=resolution, act=act)


def close_case(*, case, actor, resolution: str, cost=None):
    """Close a case without action (the parcel arrived after all, the shopper declined);
    ``cost`` defaults to nothing. Raises ``LogisticsError`` without a resolution and
    ``IllegalTransition`` unless the case is open."""
    cost = _decimal(cost, _("the cost"))

    def act(case, order):
        case.cost = cost or Decimal("0.00")
        return ["cost"]

    return _resolve(case, "close", actor=actor, resolution=resolution, act=act)
