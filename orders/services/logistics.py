"""Logistics: the carrier's side of a parcel's life, and its exceptions.

- ``poll_shipments`` (beat, every five minutes) asks each carrier about the open
  shipments due for a poll, in batches (one carrier query per batch of
  ``MALL_LOGISTICS_POLL_BATCH`` parcels, at most ``MALL_LOGISTICS_POLL_MAX_BATCHES``
  queries per run, oldest due first), stores the carrier's events once each (the unique
  (shipment, event id) constraint), and applies them: delivered, lost, damaged. A parcel
  silent for ``MALL_LOGISTICS_DELAY_HOURS`` is delayed. Each parcel's next poll backs off
  (``MALL_LOGISTICS_POLL_MINUTES`` doubled per poll without news, at most
  ``MALL_LOGISTICS_POLL_MAX_MINUTES``, never past the moment it would count as delayed)
  and starts again from the shortest wait on news. Batches are claimed with ``FOR UPDATE
  SKIP LOCKED`` and a lease, so two runs at once never ask about one parcel twice.
- ``record_delivery`` and ``record_loss`` are the shipment's transitions from tracking.
- Exception cases (``LogisticsCase``): delayed, lost, damaged; one open case per
  shipment and kind (a partial unique index), so however often a poll sees a loss there
  is one case. Operators resolve a case by one of ``reship_case``, ``refund_case``,
  ``claim_case`` or ``close_case``, each with a resolution text and the case's cost.

What a case costs (``cost``) is the shop's outlay: the goods (at the order's prices) and
postage (``MALL_RESHIP_POSTAGE``) of a reshipment, the amount of a refund, the value of
the goods claimed for; ``recovered`` is what the carrier paid on a claim (any resolution
may also claim). The net cost is ``cost - recovered``.

Logger ``orders.logistics``: carrier errors, cases opened.
"""

import datetime
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    F,
    Q,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money
from mall.statemachine import IllegalTransition, transition

from ..carriers import registry as carriers
from ..carriers.base import DAMAGED, DELIVERED, LOST, CarrierError, Parcel
from ..exceptions import OrderError
from ..models import (
    LOGISTICS_CASE_MACHINE,
    SHIPMENT_MACHINE,
    LogisticsCase,
    LogisticsCaseChange,
    Order,
    Payment,
    Shipment,
    ShipmentStatusChange,
    TrackingEvent,
)
from . import fulfilment, payments

logger = logging.getLogger("orders.logistics")

# A claimed batch is the claimer's for this long; if it dies mid-batch, another run
# polls those parcels after it.
LEASE = datetime.timedelta(minutes=10)
KINDS = set(TrackingEvent.Kind.values)


class LogisticsError(OrderError):
    """A case resolution that cannot be done as asked; the message says why."""


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
            reason=_("delivered, by the carrier's tracking"),
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


# --- Polling ---------------------------------------------------------------------------------


@dataclass
class PollReport:
    batches: int = 0  # carrier queries made
    parcels: int = 0
    events: int = 0  # new events stored
    delivered: int = 0
    lost: int = 0
    damaged: int = 0
    delayed: int = 0  # delay cases opened
    errors: int = 0  # carrier queries that failed

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def next_poll(shipment: Shipment, now) -> datetime.datetime:
    """When to ask about ``shipment`` again: the base wait doubled per poll without news
    (``idle_polls``), capped; but no later than the moment its silence becomes a delay,
    so a delay is noticed on time."""
    base = settings.MALL_LOGISTICS_POLL_MINUTES
    minutes = min(
        base * 2 ** min(shipment.idle_polls, 20), settings.MALL_LOGISTICS_POLL_MAX_MINUTES
    )
    at = now + datetime.timedelta(minutes=minutes)
    since = shipment.last_event_at or shipment.shipped_at
    if since is not None:
        deadline = since + datetime.timedelta(hours=settings.MALL_LOGISTICS_DELAY_HOURS, minutes=1)
        if now < deadline:
            at = min(at, deadline)
    return at


def _due(now):
    return Shipment.objects.filter(status=Shipment.Status.SHIPPED).filter(
        Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True)
    )


def _claim_batch(carrier: str, now, size: int) -> list[Shipment]:
    with transaction.atomic():
        pks = list(
            _due(now)
            .filter(carrier=carrier)
            .select_for_update(skip_locked=True)
            .order_by(F("next_poll_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)[:size]
        )
        Shipment.objects.filter(pk__in=pks).update(next_poll_at=now + LEASE)
    return list(Shipment.objects.filter(pk__in=pks).order_by("pk"))


def poll_shipments(*, now=None, batch_size: int | None = None, max_batches: int | None = None):
    """Poll every open shipment due (on its way, ``next_poll_at`` passed) through its
    carrier's adapter, one query per batch, and apply what the carriers say (see the
    module's docstring). Returns a ``PollReport``. Idempotent: events are stored once,
    transitions happen once, a case opens once; safe to run twice or at once."""
    now = now or timezone.now()
    batch_size = batch_size or settings.MALL_LOGISTICS_POLL_BATCH
    max_batches = max_batches or settings.MALL_LOGISTICS_POLL_MAX_BATCHES
    report = PollReport()
    names = list(_due(now).order_by("carrier").values_list("carrier", flat=True).distinct())
    for name in names:
        try:
            adapter = carriers.get_carrier(name)
        except carriers.UnknownCarrier:
            logger.error("shipments of a carrier that is switched off", extra={"carrier": name})
            continue
        size = max(1, min(batch_size, adapter.max_batch))
        while report.batches < max_batches:
            batch = _claim_batch(name, now, size)
            if not batch:
                break
            report.batches += 1
            report.parcels += len(batch)
            _poll_batch(adapter, batch, now, report)
    return report


def _poll_batch(adapter, batch: list[Shipment], now, report: PollReport) -> None:
    try:
        answer = adapter.track(
            parcels=[Parcel(s.tracking_number, s.shipped_at) for s in batch], as_of=now
        )
    except CarrierError as error:
        report.errors += 1
        logger.warning(
            "carrier query failed",
            extra={"carrier": adapter.name, "parcels": len(batch), "error": str(error)},
        )
        for shipment in batch:
            shipment.idle_polls += 1
            shipment.next_poll_at = next_poll(shipment, now)
        Shipment.objects.bulk_update(batch, ["idle_polls", "next_poll_at"])
        return
    known = set(
        TrackingEvent.objects.filter(shipment__in=batch).values_list("shipment_id", "event_id")
    )
    fresh, stories = [], {}
    for shipment in batch:
        events = [e for e in answer.get(shipment.tracking_number, []) if e.kind in KINDS]
        new = [e for e in events if (shipment.pk, e.event_id) not in known]
        fresh.extend(
            TrackingEvent(
                shipment=shipment,
                event_id=e.event_id[:64],
                kind=e.kind,
                description=e.description[:200],
                location=e.location[:100],
                occurred_at=e.occurred_at,
            )
            for e in new
        )
        if new:
            latest = max(e.occurred_at for e in new)
            shipment.last_event_at = max(filter(None, [shipment.last_event_at, latest]))
            shipment.idle_polls = 0
        else:
            shipment.idle_polls += 1
        shipment.next_poll_at = next_poll(shipment, now)
        stories[shipment.pk] = events
    # A concurrent poll of the same parcel (its lease ran out) may have stored some.
    TrackingEvent.objects.bulk_create(fresh, ignore_conflicts=True)
    if fresh:  # what was really stored, not what a concurrent poll stored first
        report.events += TrackingEvent.objects.filter(shipment__in=batch).count() - len(known)
    Shipment.objects.bulk_update(batch, ["last_event_at", "idle_polls", "next_poll_at"])
    for shipment in batch:
        try:
            _apply(shipment, stories[shipment.pk], now, report)
        except IllegalTransition:
            continue  # moved on meanwhile (an operator, another run)


def _apply(shipment: Shipment, events, now, report: PollReport) -> None:
    """Apply the whole story so far (not only what is new: a run that stored events and
    died before applying them is made good by the next)."""
    by_kind = {}
    for event in events:
        by_kind.setdefault(event.kind, event)
    if LOST in by_kind:
        record_loss(shipment=shipment, detail=by_kind[LOST].description or _("reported lost"))
        report.lost += 1
    elif DELIVERED in by_kind:
        damaged = by_kind.get(DAMAGED)
        record_delivery(
            shipment=shipment,
            delivered_at=by_kind[DELIVERED].occurred_at,
            damaged=(damaged.description or _("arrived damaged")) if damaged else "",
        )
        report.delivered += 1
        report.damaged += damaged is not None
    elif _report_delay(shipment, now):
        report.delayed += 1


__all__ = [
    "LogisticsError",
    "PollReport",
    "claim_case",
    "close_case",
    "next_poll",
    "open_case",
    "poll_shipments",
    "record_delivery",
    "record_loss",
    "refund_case",
    "reship_case",
]
