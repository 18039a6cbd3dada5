"""The one small interface every carrier adapter implements.

The fulfilment and logistics services (``orders.services.fulfilment``,
``orders.services.logistics``) speak only this interface; an adapter turns it into its
carrier's API (SF Express, ZTO, or the sandbox shipped with the shop).

Contract of an adapter, whatever the carrier:

- ``create_waybill`` books a parcel handed over now and returns its tracking number and
  the delivery date the carrier promises. Each call is a new waybill.
- ``track`` answers for many parcels in one call (``max_batch`` at most): every event the
  carrier has for each, oldest first. An event's ``event_id`` is stable: asked again, the
  carrier reports the same event with the same id, which is how the shop stores it once.
  Parcels the carrier does not know are left out of the answer.
- ``file_claim`` asks the carrier to pay for a lost or damaged parcel, once per
  ``reference``: asked twice with one reference it answers with the same claim.

Times are aware datetimes; amounts are two-place ``Decimal`` in the shop's currency.
"""

import abc
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

# What the shop understands of an event, whatever the carrier calls it (the values of
# ``TrackingEvent.Kind``).
COLLECTED = "collected"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
DELAYED = "delayed"
LOST = "lost"
DAMAGED = "damaged"


class CarrierError(Exception):
    """The carrier did not do what was asked. ``str(error)`` is for logs and operators."""


class CarrierUnavailable(CarrierError):
    """The carrier could not be reached or did not answer: try again later."""


class CarrierRefused(CarrierError):
    """The carrier answered and said no (an unknown waybill, a claim it rejects): asking
    again the same way will not help."""


@dataclass(frozen=True)
class Place:
    """Where a parcel starts or ends, as a waybill carries it."""

    province: str
    city: str


@dataclass(frozen=True)
class Waybill:
    tracking_number: str
    estimated_delivery: datetime.date


@dataclass(frozen=True)
class Parcel:
    """What the shop asks the carrier about: a tracking number and when the parcel was
    handed over (some carriers want more, e.g. the recipient's phone tail; add it here)."""

    tracking_number: str
    handed_over_at: datetime.datetime


@dataclass(frozen=True)
class CarrierEvent:
    event_id: str  # stable per parcel: the same event always has the same id
    kind: str  # one of the kinds above
    occurred_at: datetime.datetime
    location: str = ""
    description: str = ""


@dataclass(frozen=True)
class ClaimReceipt:
    claim_no: str
    amount: Decimal  # what the carrier pays


class Carrier(abc.ABC):
    """A carrier seen from the shop. ``name`` is the key in ``MALL_CARRIERS`` and in
    ``Shipment.carrier``."""

    name: str = ""
    label = ""  # what a shopper calls it, translatable
    max_batch: int = 100  # parcels one ``track`` call may ask about

    @abc.abstractmethod
    def create_waybill(
        self,
        *,
        reference: str,
        origin: Place,
        destination: Place,
        weight_grams: int,
        handed_over_at: datetime.datetime,
    ) -> Waybill:
        """Book a parcel (``reference``: the shop's shipment number). Raises
        ``CarrierRefused`` or ``CarrierUnavailable``."""

    @abc.abstractmethod
    def track(
        self, *, parcels: Sequence[Parcel], as_of: datetime.datetime | None = None
    ) -> dict[str, list[CarrierEvent]]:
        """Every event of each parcel so far, by tracking number, oldest first; at most
        ``max_batch`` parcels per call. ``as_of`` is for simulated carriers (the sandbox
        answers as its clock would then); a real carrier answers for now and ignores it.
        Raises ``CarrierUnavailable``."""

    @abc.abstractmethod
    def file_claim(
        self, *, tracking_number: str, amount: Decimal, reason: str, reference: str
    ) -> ClaimReceipt:
        """Claim ``amount`` for a lost or damaged parcel, once per ``reference``. Raises
        ``CarrierRefused`` (unknown waybill, claim rejected) or ``CarrierUnavailable``."""
