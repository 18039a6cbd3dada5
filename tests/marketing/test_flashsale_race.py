"""The flash-sale race through the real web server: many signed-in shoppers fire buy
attempts at once (HTTP to pytest-django's live server on 127.0.0.1) against a few
units; exactly the units are sold, each shopper within the limit, no request fails.

The live server is Django's threaded development server in this very process (one
thread per client connection, sharing the GIL with the client threads), so these runs
show correctness, not speed: tests/bench/bench_flash_sale.py measures speed on gunicorn.
"""

import json
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.db.models import Count, Sum

from catalog.models import Stock
from marketing.models import FlashSale, FlashSaleClaim
from marketing.services import flash_gate as flashsale_gate
from marketing.services import flashsales as flashsale
from orders.models import Order
from tests.marketing.flashsale_helpers import (
    bulk_sessions,
    bulk_shoppers,
    fire_buy_attempts,
    sale_sku,
    schedule,
)

TIME_LIMIT = 60  # seconds per run, whatever happens


def run_race(live_server, *, units: int, shoppers: int, attempts: int, clients: int):
    sku = sale_sku(price="100.00", stock=units + 50)
    sale = schedule(sku, price="59.00", quantity=units, limit=1)
    users, addresses = bulk_shoppers(shoppers)
    sessions = bulk_sessions(users)
    plan = [(user.pk, sessions[user.pk], addresses[user.pk]) for user in users]
    started = time.monotonic()  # the wall time includes opening the connections
    crowd = fire_buy_attempts(
        # The live server listens on "localhost" (IPv4); the race talks to 127.0.0.1 only.
        urlsplit(live_server.url).port,
        sale.pk,
        plan,
        attempts=attempts,
        clients=clients,
        time_limit=TIME_LIMIT,
        seed=7,
        tries=3,
        headers={"Accept-Language": "en"},
    )
    wall = time.monotonic() - started
    if crowd.errors:
        retries = Counter(name for name, _message in crowd.errors)
        print(f"\nretried after a dropped connection: {dict(retries)}")
    return sku, sale, crowd.statuses, crowd.bodies, crowd.latencies, wall


def assert_sold_exactly(sku, sale, units, statuses, bodies, attempts):
    assert sum(statuses.values()) == attempts, statuses  # none lost, none timed out
    assert set(statuses) <= {201, 400, 409}, (statuses, bodies.get(500, [b""])[0][:2000])
    assert statuses[201] == units
    refusals = Counter(json.loads(body)["code"] for body in bodies.get(400, []))
    assert set(refusals) <= {"over_limit"}, refusals
    sale.refresh_from_db()
    assert sale.sold == units
    assert Order.objects.count() == units
    claims = FlashSaleClaim.objects.filter(flash_sale=sale, released=False)
    assert claims.count() == units and claims.aggregate(total=Sum("quantity"))["total"] == units
    # Every shopper within the limit (one live claim of at most one unit).
    assert not claims.values("user").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not claims.filter(quantity__gt=sale.per_shopper_limit).exists()
    assert Order.objects.values("user").distinct().count() == units
    assert Stock.objects.get(sku=sku).reserved == units
    assert FlashSale.objects.filter(sold__gt=0).count() == 1


def report(label, statuses, latencies, wall):
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else 0  # ms
    print(
        f"\n{label}: {sum(statuses.values())} attempts in {wall:.1f} s "
        f"({sum(statuses.values()) / wall:.0f}/s), p95 {p95:.0f} ms, {dict(statuses)}"
    )


@pytest.mark.django_db(transaction=True)
def test_2000_attempts_against_100_units_sell_exactly_100(live_server, redis_client, settings):
    settings.MALL_FLASH_SALE_GATE = "redis"
    units, attempts = 100, 2000
    sku, sale, statuses, bodies, latencies, wall = run_race(
        live_server, units=units, shoppers=500, attempts=attempts, clients=40
    )
    report("gate on", statuses, latencies, wall)
    assert_sold_exactly(sku, sale, units, statuses, bodies, attempts)
    assert sum(1 for body in bodies.get(409, []) if b"sold_out" in body) == statuses[409]
    # The gate agrees with the database afterwards: nothing left, a hold per winner.
    assert redis_client.get(flashsale_gate.gate_keys(sale.pk)[0]) == b"0"
    assert redis_client.hlen(flashsale_gate.gate_keys(sale.pk)[1]) == units
    assert flashsale.reconcile()["corrected"] == 0


@pytest.mark.django_db(transaction=True)
def test_with_the_gate_off_postgresql_alone_never_oversells(live_server, redis_client, settings):
    settings.MALL_FLASH_SALE_GATE = "off"
    units, attempts = 30, 600
    sku, sale, statuses, bodies, latencies, wall = run_race(
        live_server, units=units, shoppers=150, attempts=attempts, clients=32
    )
    report("gate off", statuses, latencies, wall)
    assert_sold_exactly(sku, sale, units, statuses, bodies, attempts)
    assert redis_client.keys("mall:flash-sale:*") == []
