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
- ``receive_push``: a carrier's signed tracking push (快递100, SF Express) at
  ``/logistics/push/<carrier>/``, applied by the same rules at once.
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

By step: ``polling`` (the carriers asked), ``tracking`` (what tracking says: delivered,
lost, delayed), ``cases`` (exception cases and their resolutions). Callers use the names
re-exported here (``logistics.poll_shipments``).
"""

from ...exceptions import LogisticsError
from .cases import claim_case, close_case, open_case, refund_case, reship_case
from .polling import PollReport, next_poll, poll_shipments
from .pushes import receive_push
from .tracking import record_delivery, record_loss

__all__ = [
    "LogisticsError",
    "PollReport",
    "claim_case",
    "close_case",
    "next_poll",
    "open_case",
    "poll_shipments",
    "receive_push",
    "record_delivery",
    "record_loss",
    "refund_case",
    "reship_case",
]
