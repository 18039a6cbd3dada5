"""Polling the carriers: open shipments due for a poll, in batches per carrier claimed with
``FOR UPDATE SKIP LOCKED`` and a lease, their events stored once each and applied, each
parcel's next poll backing off while there is no news."""

import datetime
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.statemachine import IllegalTransition

from ...carriers import registry as carriers
from ...carriers.base import DAMAGED, DELIVERED, LOST, RETURNED, CarrierError, Parcel
from ...models import (
    LogisticsCase,
    Shipment,
    TrackingEvent,
)
from .cases import open_case
from .tracking import _report_delay, record_delivery, record_loss

logger = logging.getLogger("orders.logistics")

# A claimed batch is the claimer's for this long; if it dies mid-batch, another run
# polls those parcels after it.
LEASE = datetime.timedelta(minutes=10)
KINDS = set(TrackingEvent.Kind.values)


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
    returned: int = 0  # "returned" cases opened
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
    elif RETURNED in by_kind:
        # Refused or undeliverable, on its way back: an operator decides (reship, refund).
        _case, created = open_case(
            shipment=shipment,
            kind=LogisticsCase.Kind.RETURNED,
            detail=by_kind[RETURNED].description or _("returned to the sender"),
        )
        report.returned += created
    elif _report_delay(shipment, now):
        report.delayed += 1
