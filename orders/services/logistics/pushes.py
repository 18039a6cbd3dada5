"""Tracking pushes: a carrier (or tracking service) tells the shop of new events as they
happen, so the shop need not wait for its next poll. The same rules as polling: each
event stored once, the whole story applied (delivered, lost, damaged, returned)."""

import logging

from django.utils import timezone

from mall.statemachine import IllegalTransition

from ...carriers import registry as carriers
from ...carriers.base import BadPush, CarrierEvent
from ...models import Shipment, TrackingEvent
from .polling import KINDS, PollReport, _apply, next_poll

logger = logging.getLogger("orders.logistics")


def receive_push(*, carrier: str, body: bytes, headers, form: dict) -> tuple[bool, PollReport]:
    """Verify a push of ``carrier`` and apply it to the shipments on their way with that
    carrier and tracking number. Returns whether the push was accepted (a bad signature
    or a stale push is refused and logged; a push about parcels the shop does not know
    is accepted and changes nothing) and what it did. Idempotent: the same push again
    stores nothing new and moves nothing. Raises ``UnknownCarrier``."""
    adapter = carriers.get_carrier(carrier)
    report = PollReport()
    try:
        stories = adapter.parse_push(body=body, headers=headers, form=form)
    except BadPush as error:
        logger.warning("tracking push refused", extra={"carrier": carrier, "error": str(error)})
        return False, report
    now = timezone.now()
    shipments = Shipment.objects.filter(
        carrier=carrier, tracking_number__in=list(stories), status=Shipment.Status.SHIPPED
    ).order_by("pk")
    for shipment in shipments:
        events = [e for e in stories[shipment.tracking_number] if e.kind in KINDS]
        made = TrackingEvent.objects.bulk_create(
            [
                TrackingEvent(
                    shipment=shipment,
                    event_id=e.event_id[:64],
                    kind=e.kind,
                    description=e.description[:200],
                    location=e.location[:100],
                    occurred_at=e.occurred_at,
                )
                for e in events
            ],
            ignore_conflicts=True,
        )
        report.parcels += 1
        report.events += len(made)
        story = [
            CarrierEvent(e.event_id, e.kind, e.occurred_at, e.location, e.description)
            for e in shipment.events.order_by("occurred_at", "pk")
        ]
        if story:
            shipment.last_event_at = max(e.occurred_at for e in story)
            shipment.idle_polls = 0
            shipment.next_poll_at = next_poll(shipment, now)
            shipment.save(update_fields=["last_event_at", "idle_polls", "next_poll_at"])
        try:
            _apply(shipment, story, now, report)
        except IllegalTransition:
            continue  # moved on meanwhile
    logger.info("tracking push", extra={"carrier": carrier, **report.as_dict()})
    return True, report
