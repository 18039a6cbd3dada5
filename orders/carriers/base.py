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
RETURNED = "returned"  # refused or undeliverable: on its way back to the sender


class CarrierError(Exception):
    """The carrier did not do what was asked. ``str(error)`` is for logs and operators."""


class CarrierUnavailable(CarrierError):
    """The carrier could not be reached or did not answer: try again later."""


class CarrierRefused(CarrierError):
    """The carrier answered and said no (an unknown waybill, a claim it rejects): asking
    again the same way will not help."""


class BadPush(CarrierError):
    """A tracking push whose signature does not verify (or that is not the carrier's):
    nothing in it is true."""


@dataclass(frozen=True)
class Place:
    """Where a parcel starts or ends, as a waybill carries it. A carrier that books the
    pickup itself (SF Express) needs the whole address and a contact; the sandbox only
    the city."""

    province: str
    city: str
    district: str = ""
    address: str = ""
    contact: str = ""
    mobile: str = ""


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
    # A tracking service (快递100) follows waybills printed by the carrier's own system:
    # the clerk types the tracking number, ``create_waybill`` subscribes to it.
    needs_tracking_number = False

    @classmethod
    def key_problems(cls) -> list[str]:
        """What is missing in this carrier's configuration; empty when complete."""
        return []

    def check_connection(self) -> str:
        """Sign and send a harmless query (a tracking number that does not exist) and
        return what the carrier said. Raises ``CarrierError``."""
        self.track(parcels=[Parcel("CONNECTIONTEST0", datetime.datetime.now(datetime.UTC))])
        return "ok: the carrier answered"

    def parse_push(self, *, body: bytes, headers, form: dict) -> dict[str, list[CarrierEvent]]:
        """Verify a tracking push of the carrier and read it: events by tracking number
        (what the push says, not necessarily the whole story). Raises ``BadPush``."""
        raise BadPush(f"{self.name} does not push")

    def push_answer(self, *, accepted: bool) -> tuple[int, str, str]:
        """(status, body, content type) that tells the carrier the push was taken."""
        return (200 if accepted else 400, "success" if accepted else "fail", "text/plain")

    @abc.abstractmethod
    def create_waybill(
        self,
        *,
        reference: str,
        origin: Place,
        destination: Place,
        weight_grams: int,
        handed_over_at: datetime.datetime,
        tracking_number: str = "",
    ) -> Waybill:
        """Book a parcel (``reference``: the shop's shipment number), or, for a carrier
        that ``needs_tracking_number``, follow the waybill ``tracking_number`` printed
        elsewhere. Raises ``CarrierRefused`` or ``CarrierUnavailable``."""

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
