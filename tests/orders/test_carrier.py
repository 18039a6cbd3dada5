"""The carrier adapters: the registry, and the sandbox carrier whose parcels tell a
realistic story over time, the same story every time, with delays, losses and damage at
the configured rates."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.carriers import registry as carriers
from orders.carriers.adapters import sandbox
from orders.carriers.base import (
    COLLECTED,
    DAMAGED,
    DELAYED,
    DELIVERED,
    IN_TRANSIT,
    LOST,
    OUT_FOR_DELIVERY,
    CarrierRefused,
    Parcel,
    Place,
)
from tests.orders.fulfilment_helpers import calm_carrier

CALM = sandbox.Rates(delay=0, loss=0, damage=0, delay_hours=60)
SHIPPED = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
HANGZHOU, BEIJING = Place("浙江省", "杭州市"), Place("北京市", "北京市")


def numbers(count, origin=10, destination=0):
    return [f"SX{origin:02d}{destination:02d}{n:010d}" for n in range(count)]


def kinds(events):
    return [event.kind for event in events]


# --- Registry ---------------------------------------------------------------------------------


def test_only_carriers_switched_on_can_be_used(settings):
    settings.MALL_CARRIERS = ["sandbox", "nonexistent"]
    assert isinstance(carriers.get_carrier("sandbox"), sandbox.SandboxCarrier)
    assert [name for name, _label in carriers.choices()] == ["sandbox"]
    with pytest.raises(carriers.UnknownCarrier):
        carriers.get_carrier("nonexistent")
    settings.MALL_CARRIERS = []
    with pytest.raises(carriers.UnknownCarrier):
        carriers.get_carrier("sandbox")
    assert carriers.choices() == []
    # Parcels already handed over keep a readable carrier name.
    assert carriers.label("sandbox") == str(sandbox.SandboxCarrier.label)
    assert carriers.label("sf-express") == "sf-express"


def test_places_are_sorted_at_their_citys_hub_else_their_provinces():
    def city(index):
        return sandbox.HUBS[index][0]

    assert city(sandbox.hub_for(HANGZHOU)) == "杭州"
    assert city(sandbox.hub_for(Place("广东省", "深圳市"))) == "深圳"
    assert city(sandbox.hub_for(Place("浙江省", "湖州市"))) == "杭州"  # the province's hub
    assert city(sandbox.hub_for(Place("", "某地"))) == "北京"


# --- The story of a parcel --------------------------------------------------------------------


def test_a_parcel_is_collected_travels_through_hubs_on_the_way_and_is_delivered_in_1_to_4_days():
    [number] = numbers(1, origin=sandbox.hub_for(HANGZHOU), destination=0)
    events = sandbox.timeline(number, SHIPPED, rates=CALM)

    assert kinds(events)[0] == COLLECTED
    assert kinds(events)[-2:] == [OUT_FOR_DELIVERY, DELIVERED]
    assert set(kinds(events)[1:-2]) == {IN_TRANSIT} and len(events) >= 5
    assert events[0].location == "杭州" and events[-1].location == "北京"
    hubs = [event.location for event in events[2:-3]]
    assert hubs and "杭州" not in hubs and "北京" not in hubs  # cities on the way
    times = [event.occurred_at for event in events]
    assert times == sorted(times)
    assert datetime.timedelta(hours=1) <= times[0] - SHIPPED <= datetime.timedelta(hours=6)
    assert datetime.timedelta(days=1) <= times[-1] - SHIPPED <= datetime.timedelta(days=4, hours=14)
    assert 9 <= timezone.localtime(times[-1]).hour < 20  # couriers deliver in the daytime
    assert [event.event_id for event in events] == [
        f"{number}-{n:02d}" for n in range(1, len(events) + 1)
    ]


def test_the_story_is_a_pure_function_of_number_hand_over_and_now():
    for number in numbers(20):
        full = sandbox.timeline(number, SHIPPED, rates=CALM)
        assert full == sandbox.timeline(number, SHIPPED, rates=CALM)
        for cut in (full[0].occurred_at - datetime.timedelta(seconds=1), full[2].occurred_at):
            seen = sandbox.timeline(number, SHIPPED, cut, rates=CALM)
            assert seen == [event for event in full if event.occurred_at <= cut]
        later = sandbox.timeline(number, SHIPPED + datetime.timedelta(days=7), rates=CALM)
        assert [e.event_id for e in later] == [e.event_id for e in full]
    assert sandbox.timeline(numbers(1)[0], SHIPPED, SHIPPED, rates=CALM) == []
    stories = {tuple(kinds(sandbox.timeline(n, SHIPPED, rates=CALM))) for n in numbers(50, 10, 30)}
    assert len(stories) > 1  # routes differ between parcels


def test_a_lost_parcel_goes_silent_then_is_reported_lost_and_never_delivered():
    lost = sandbox.Rates(delay=0, loss=1, damage=0, delay_hours=60)
    for number in numbers(10):
        events = sandbox.timeline(number, SHIPPED, rates=lost)
        assert kinds(events)[-1] == LOST and DELIVERED not in kinds(events)
        assert kinds(events)[-2] == IN_TRANSIT
        assert events[-1].occurred_at - events[-2].occurred_at >= datetime.timedelta(hours=24)


def test_a_damaged_parcel_is_delivered_with_a_damage_report_at_the_same_moment():
    damaged = sandbox.Rates(delay=0, loss=0, damage=1, delay_hours=60)
    for number in numbers(10):
        events = sandbox.timeline(number, SHIPPED, rates=damaged)
        assert kinds(events)[-2:] == [DELIVERED, DAMAGED]
        assert events[-1].occurred_at == events[-2].occurred_at
        calm = sandbox.timeline(number, SHIPPED, rates=CALM)
        assert events[:-1] == calm  # the same journey otherwise


def test_a_delayed_parcel_falls_silent_for_the_delay_then_carries_on():
    delayed = sandbox.Rates(delay=1, loss=0, damage=0, delay_hours=60)
    for number in numbers(10):
        events = sandbox.timeline(number, SHIPPED, rates=delayed)
        calm = sandbox.timeline(number, SHIPPED, rates=CALM)
        assert kinds(events).count(DELAYED) == 1 and kinds(events)[-1] == DELIVERED
        at = kinds(events).index(DELAYED)
        gap = events[at].occurred_at - events[at - 1].occurred_at
        assert gap >= datetime.timedelta(hours=59)  # no word for more than 48 hours
        assert events[-1].occurred_at - calm[-1].occurred_at == datetime.timedelta(hours=60)
        assert kinds([e for e in events if e.kind != DELAYED]) == kinds(calm)


def test_delays_losses_and_damage_happen_at_the_configured_rates():
    rates = sandbox.Rates(delay=0.10, loss=0.05, damage=0.08, delay_hours=60)
    parcels = numbers(2000, 10, 18)
    stories = [kinds(sandbox.timeline(n, SHIPPED, rates=rates)) for n in parcels]
    share = {
        kind: sum(kind in story for story in stories) / len(stories)
        for kind in (DELAYED, LOST, DAMAGED)
    }
    assert share[DELAYED] == pytest.approx(0.10, abs=0.02)
    assert share[LOST] == pytest.approx(0.05, abs=0.015)
    assert share[DAMAGED] == pytest.approx(0.08, abs=0.02)
    none = sandbox.Rates(delay=0, loss=0, damage=0, delay_hours=60)
    assert not any(
        {DELAYED, LOST, DAMAGED} & set(kinds(sandbox.timeline(n, SHIPPED, rates=none)))
        for n in parcels[:200]
    )


# --- The adapter ------------------------------------------------------------------------------


def test_a_waybill_names_the_route_and_promises_a_date(settings):
    carrier = sandbox.SandboxCarrier()
    waybill = carrier.create_waybill(
        reference="S1",
        origin=HANGZHOU,
        destination=BEIJING,
        weight_grams=800,
        handed_over_at=SHIPPED,
    )
    assert waybill.tracking_number.startswith("SX1000") and len(waybill.tracking_number) == 16
    assert waybill.estimated_delivery == sandbox.estimated_delivery(
        waybill.tracking_number, SHIPPED
    )
    assert (
        SHIPPED.date() < waybill.estimated_delivery <= SHIPPED.date() + datetime.timedelta(days=4)
    )
    other = carrier.create_waybill(
        reference="S1",
        origin=HANGZHOU,
        destination=BEIJING,
        weight_grams=800,
        handed_over_at=SHIPPED,
    )
    assert other.tracking_number != waybill.tracking_number


def test_one_query_answers_for_many_parcels_and_leaves_out_unknown_ones(settings):
    calm_carrier(settings)
    carrier = sandbox.SandboxCarrier()
    parcels = [Parcel(number, SHIPPED) for number in numbers(5)] + [Parcel("SF123", SHIPPED)]
    asked_at = SHIPPED + datetime.timedelta(hours=30)
    answer = carrier.track(parcels=parcels, as_of=asked_at)
    assert set(answer) == set(numbers(5))
    for number, events in answer.items():
        assert events == sandbox.timeline(number, SHIPPED, asked_at, rates=CALM)
    too_many = [Parcel(number, SHIPPED) for number in numbers(carrier.max_batch + 1)]
    with pytest.raises(CarrierRefused):
        carrier.track(parcels=too_many)


def test_a_claim_is_paid_once_per_reference():
    carrier = sandbox.SandboxCarrier()
    [number] = numbers(1)
    first = carrier.file_claim(
        tracking_number=number, amount="90.00", reason="lost", reference="c1"
    )
    again = carrier.file_claim(
        tracking_number=number, amount=Decimal("90.00"), reason="lost", reference="c1"
    )
    assert first == again and first.amount == Decimal("90.00")
    assert (
        carrier.file_claim(tracking_number=number, amount="1", reason="x", reference="c2").claim_no
        != first.claim_no
    )
    with pytest.raises(CarrierRefused):
        carrier.file_claim(tracking_number="SF123", amount="1", reason="x", reference="c3")
    with pytest.raises(CarrierRefused):
        carrier.file_claim(tracking_number=number, amount="0", reason="x", reference="c4")
