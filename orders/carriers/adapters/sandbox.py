"""The sandbox carrier: pretend parcels whose tracking unfolds over real time, so the
whole shop (shipping, the polling job, exception cases, the scorecard) runs and is tested
without any outside network.

A parcel's whole story is a pure function of its tracking number, the hand-over time and
the moment asked about (``timeline``): the number seeds a random generator and names the
route (the hubs of the sender's and the recipient's city are two digits in it), so the
same parcel tells the same story on every poll, in every process, and a test can ask
about any moment by passing ``now``. The sandbox keeps no books.

A story: collected by a courier some hours after the hand-over, departed the sorting
centre, in transit through the hubs between the two cities, out for delivery and
delivered 1 to 4 days after the hand-over. At the rates of the settings, a parcel is
delayed (``MALL_SANDBOX_CARRIER_DELAY_RATE``: a silence of
``MALL_SANDBOX_CARRIER_DELAY_HOURS`` somewhere on the way, then a "delayed" event and
the rest of the story), lost (``..._LOSS_RATE``: a "lost" event a day or more after its
last scan, never delivered) or damaged (``..._DAMAGE_RATE``: delivered, then a "damaged"
event). Changing a rate changes the stories of parcels already on their way: it is a
sandbox.
"""

import datetime
import hashlib
import math
import random
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mall.money import to_money
from orders.carriers.base import (
    COLLECTED,
    DAMAGED,
    DELAYED,
    DELIVERED,
    IN_TRANSIT,
    LOST,
    OUT_FOR_DELIVERY,
    Carrier,
    CarrierEvent,
    CarrierRefused,
    ClaimReceipt,
    Parcel,
    Place,
    Waybill,
)

# Hubs: (city, province, latitude, longitude). The provincial capitals come first, so the
# first hub of a province is where its parcels are sorted when the city has no hub.
HUBS = [
    ("北京", "北京市", 39.9, 116.4),
    ("天津", "天津市", 39.1, 117.2),
    ("石家庄", "河北省", 38.0, 114.5),
    ("太原", "山西省", 37.9, 112.5),
    ("呼和浩特", "内蒙古自治区", 40.8, 111.7),
    ("沈阳", "辽宁省", 41.8, 123.4),
    ("长春", "吉林省", 43.9, 125.3),
    ("哈尔滨", "黑龙江省", 45.8, 126.6),
    ("上海", "上海市", 31.2, 121.5),
    ("南京", "江苏省", 32.1, 118.8),
    ("杭州", "浙江省", 30.3, 120.2),
    ("合肥", "安徽省", 31.8, 117.2),
    ("福州", "福建省", 26.1, 119.3),
    ("南昌", "江西省", 28.7, 115.9),
    ("济南", "山东省", 36.7, 117.0),
    ("郑州", "河南省", 34.7, 113.6),
    ("武汉", "湖北省", 30.6, 114.3),
    ("长沙", "湖南省", 28.2, 112.9),
    ("广州", "广东省", 23.1, 113.3),
    ("南宁", "广西壮族自治区", 22.8, 108.3),
    ("海口", "海南省", 20.0, 110.3),
    ("重庆", "重庆市", 29.6, 106.5),
    ("成都", "四川省", 30.7, 104.1),
    ("贵阳", "贵州省", 26.6, 106.7),
    ("昆明", "云南省", 25.0, 102.7),
    ("拉萨", "西藏自治区", 29.7, 91.1),
    ("西安", "陕西省", 34.3, 108.9),
    ("兰州", "甘肃省", 36.1, 103.8),
    ("西宁", "青海省", 36.6, 101.8),
    ("银川", "宁夏回族自治区", 38.5, 106.3),
    ("乌鲁木齐", "新疆维吾尔自治区", 43.8, 87.6),
    ("台北", "台湾省", 25.0, 121.5),
    ("香港", "香港特别行政区", 22.3, 114.2),
    ("澳门", "澳门特别行政区", 22.2, 113.5),
    ("深圳", "广东省", 22.5, 114.1),
    ("青岛", "山东省", 36.1, 120.4),
    ("苏州", "江苏省", 31.3, 120.6),
    ("宁波", "浙江省", 29.9, 121.6),
    ("厦门", "福建省", 24.5, 118.1),
    ("大连", "辽宁省", 38.9, 121.6),
]
NUMBER = re.compile(r"^SX(\d{2})(\d{2})\d{10}$")
MAX_TRANSIT_HOURS = 96
MIN_TRANSIT_HOURS = 24


@dataclass(frozen=True)
class Rates:
    """How often parcels are delayed, lost or damaged (shares of parcels, 0 to 1), and
    how long a delay's silence lasts (hours)."""

    delay: float
    loss: float
    damage: float
    delay_hours: float

    @classmethod
    def from_settings(cls) -> "Rates":
        return cls(
            delay=settings.MALL_SANDBOX_CARRIER_DELAY_RATE,
            loss=settings.MALL_SANDBOX_CARRIER_LOSS_RATE,
            damage=settings.MALL_SANDBOX_CARRIER_DAMAGE_RATE,
            delay_hours=settings.MALL_SANDBOX_CARRIER_DELAY_HOURS,
        )


def hub_for(place: Place) -> int:
    """The hub sorting ``place``'s parcels: its city's own, else its province's, else
    Beijing's (a place the sandbox cannot read)."""
    city = place.city.strip()
    for index, (name, *_rest) in enumerate(HUBS):
        if city and city.startswith(name):
            return index
    for index, (_name, province, *_rest) in enumerate(HUBS):
        if place.province.strip() == province:
            return index
    return 0


def _ends(tracking_number: str) -> tuple[int, int]:
    match = NUMBER.match(tracking_number)
    if not match or max(int(match[1]), int(match[2])) >= len(HUBS):
        raise CarrierRefused(f"{tracking_number!r} is not a sandbox waybill")
    return int(match[1]), int(match[2])


def is_sandbox_number(tracking_number: str) -> bool:
    try:
        _ends(tracking_number)
    except CarrierRefused:
        return False
    return True


def _distance(a: int, b: int) -> float:
    (_n, _p, lat_a, lon_a), (_m, _q, lat_b, lon_b) = HUBS[a], HUBS[b]
    return math.hypot(lat_a - lat_b, lon_a - lon_b)


def nominal_hours(origin: int, destination: int) -> float:
    """The carrier's planned transit time between two hubs: a day, plus two hours per
    degree of distance (Hangzhou to Beijing: about 47 hours, to Urumqi: 84)."""
    return MIN_TRANSIT_HOURS + 2 * min(_distance(origin, destination), 30)


def _between(origin: int, destination: int, rng: random.Random) -> list[int]:
    """Up to three hubs on the way, in the order the parcel passes them: hubs whose
    projection falls inside the journey and that lie close to the straight line."""
    if origin == destination:
        return []
    (_n, _p, lat_o, lon_o), (_m, _q, lat_d, lon_d) = HUBS[origin], HUBS[destination]
    dx, dy = lat_d - lat_o, lon_d - lon_o
    length2 = dx * dx + dy * dy
    candidates = []
    for index, (_name, _province, lat, lon) in enumerate(HUBS):
        if index in (origin, destination):
            continue
        t = ((lat - lat_o) * dx + (lon - lon_o) * dy) / length2
        off = abs((lat - lat_o) * dy - (lon - lon_o) * dx) / math.sqrt(length2)
        if 0.1 < t < 0.9 and off < max(2.0, 0.25 * math.sqrt(length2)):
            candidates.append((t, index))
    chosen = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3)))
    return [index for _t, index in sorted(chosen)]


def estimated_delivery(tracking_number: str, handed_over_at: datetime.datetime) -> datetime.date:
    """The day the carrier promises: the planned transit plus half a day, in shop time."""
    origin, destination = _ends(tracking_number)
    promised = handed_over_at + datetime.timedelta(hours=nominal_hours(origin, destination) + 12)
    return timezone.localdate(promised, timezone.get_default_timezone())


def _daytime(shipped_at: datetime.datetime, hours: float, rng_hours: float) -> float:
    """``hours`` after the hand-over, moved to the next morning (9:00 shop time plus
    ``rng_hours``) when it falls outside couriers' working hours (9:00 to 20:00)."""
    moment = timezone.localtime(
        shipped_at + datetime.timedelta(hours=hours), timezone.get_default_timezone()
    )
    if 9 <= moment.hour < 20:
        return hours
    morning = moment.replace(hour=9, minute=0, second=0, microsecond=0)
    if moment.hour >= 20:
        morning += datetime.timedelta(days=1)
    return hours + (morning - moment).total_seconds() / 3600 + rng_hours


def _story(tracking_number: str, shipped_at: datetime.datetime, rates: Rates) -> list:
    """The whole story of a parcel: (hours after hand-over, kind, hub, description)."""
    origin, destination = _ends(tracking_number)
    rng = random.Random(tracking_number)  # noqa: S311  (a simulation, not a secret)
    # Every draw is made whatever the parcel's fate, in one order, so that one parcel's
    # story differs between rates only where the rates make it differ.
    fate, delay_roll = rng.random(), rng.random()
    factor = rng.uniform(0.8, 1.3)
    collected = rng.uniform(1, 6)
    departed = collected + rng.uniform(1.5, 4)
    out_gap = rng.uniform(2, 5)
    lost_pick, lost_gap, delay_pick = rng.random(), rng.uniform(24, 60), rng.random()
    morning = rng.uniform(0.5, 3)
    hubs = _between(origin, destination, rng)

    transit = min(
        max(nominal_hours(origin, destination) * factor, MIN_TRANSIT_HOURS), MAX_TRANSIT_HOURS
    )
    # Couriers go out in the daytime: a delivery due at night waits for the morning.
    out = _daytime(shipped_at, transit - out_gap, morning)
    transit = out + out_gap
    steps = [
        (collected, COLLECTED, origin, _("Collected by the courier")),
        (departed, IN_TRANSIT, origin, _("Departed the sorting centre")),
    ]
    stops = hubs + ([destination] if destination != origin else [])
    span = out - 1 - departed
    for number, hub in enumerate(stops, start=1):
        what = (
            _("Arrived at the sorting centre") if hub != destination else _("Arrived in the city")
        )
        steps.append((departed + span * number / len(stops), IN_TRANSIT, hub, what))
    steps.append((out, OUT_FOR_DELIVERY, destination, _("Out for delivery")))
    steps.append((transit, DELIVERED, destination, _("Delivered: signed for by the recipient")))

    lost = fate < rates.loss
    damaged = not lost and fate < rates.loss + rates.damage
    if lost:
        # Lost after one of its scans in transit: later a "lost" event, never delivered.
        in_transit = [n for n, step in enumerate(steps) if step[1] == IN_TRANSIT]
        last = in_transit[int(lost_pick * len(in_transit))]
        steps = steps[: last + 1]
        hours, _kind, hub, _what = steps[-1]
        steps.append(
            (hours + lost_gap, LOST, hub, _("The carrier cannot find the parcel: reported lost"))
        )
    elif damaged:
        # Noted on delivery: a poll that sees the delivery sees the damage.
        steps.append(
            (transit, DAMAGED, destination, _("The recipient reported the parcel damaged"))
        )
    if delay_roll < rates.delay:
        # A silence on the way (before a scan in transit, going out for delivery or the
        # loss), then a word of it.
        on_the_way = (IN_TRANSIT, OUT_FOR_DELIVERY, LOST)
        places = [n for n, step in enumerate(steps) if n >= 1 and step[1] in on_the_way]
        at = places[int(delay_pick * len(places))]
        before = steps[at - 1]
        shifted = [(h + rates.delay_hours, *rest) for h, *rest in steps[at:]]
        held = (
            before[0] + rates.delay_hours - 0.5,
            DELAYED,
            before[2],
            _("Held up on the way (weather, volume): moving again"),
        )
        steps = [*steps[:at], held, *shifted]
    return steps


def timeline(
    tracking_number: str,
    shipped_at: datetime.datetime,
    now: datetime.datetime | None = None,
    *,
    rates: Rates | None = None,
) -> list[CarrierEvent]:
    """The events of parcel ``tracking_number`` handed over at ``shipped_at`` that have
    happened by ``now`` (all of them when ``now`` is None), oldest first. A pure function:
    the same arguments give the same events, with the same ids. ``rates`` default to the
    settings. Raises ``CarrierRefused`` for a number that is not the sandbox's."""
    rates = rates or Rates.from_settings()
    events = []
    for sequence, (hours, kind, hub, description) in enumerate(
        _story(tracking_number, shipped_at, rates), start=1
    ):
        occurred_at = shipped_at + datetime.timedelta(seconds=round(hours * 3600))
        if now is not None and occurred_at > now:
            break
        events.append(
            CarrierEvent(
                event_id=f"{tracking_number}-{sequence:02d}",
                kind=kind,
                occurred_at=occurred_at,
                location=HUBS[hub][0],
                description=description,
            )
        )
    return events


class SandboxCarrier(Carrier):
    name = "sandbox"
    label = gettext_lazy("Sandbox Express (test parcels)")
    max_batch = 100

    def create_waybill(
        self, *, reference, origin, destination, weight_grams, handed_over_at, tracking_number=""
    ):
        number = (
            f"SX{hub_for(origin):02d}{hub_for(destination):02d}{secrets.randbelow(10**10):010d}"
        )
        return Waybill(
            tracking_number=number,
            estimated_delivery=estimated_delivery(number, handed_over_at),
        )

    def track(self, *, parcels: Sequence[Parcel], as_of=None):
        if len(parcels) > self.max_batch:
            raise CarrierRefused(f"at most {self.max_batch} parcels per query")
        now = as_of or timezone.now()
        rates = Rates.from_settings()
        return {
            parcel.tracking_number: timeline(
                parcel.tracking_number, parcel.handed_over_at, now, rates=rates
            )
            for parcel in parcels
            if is_sandbox_number(parcel.tracking_number)
        }

    def file_claim(self, *, tracking_number, amount, reason, reference):
        _ends(tracking_number)
        amount = to_money(amount)
        if amount <= 0:
            raise CarrierRefused("a claim must be for more than zero")
        # The sandbox pays what is claimed; the claim number is the same for one reference.
        digest = hashlib.sha256(f"{tracking_number}|{reference}".encode()).hexdigest()
        return ClaimReceipt(claim_no="SXC" + digest[:16].upper(), amount=amount)
