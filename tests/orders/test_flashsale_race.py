"""The flash-sale race through the real web server: many signed-in shoppers fire buy
attempts at once (HTTP to pytest-django's live server on 127.0.0.1) against a few
units; exactly the units are sold, each shopper within the limit, no request fails.

The live server is Django's threaded development server in this very process (one
thread per client connection, sharing the GIL with the client threads), so these runs
show correctness, not speed: tests/bench/bench_flash_sale.py measures speed on gunicorn.
"""

import http.client
import json
import random
import secrets
import string
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.db.models import Count, Sum

from catalog.models import Stock
from orders.models import FlashSale, FlashSaleClaim, Order
from orders.services import flashsale, flashsale_gate
from tests.orders.flashsale_helpers import bulk_sessions, bulk_shoppers, sale_sku, schedule

TIME_LIMIT = 60  # seconds per run, whatever happens


def fire(base_url: str, sale_id: int, shoppers, *, attempts: int, clients: int):
    """``attempts`` POSTs to the buy endpoint from ``clients`` threads, each on its own
    keep-alive connection, shoppers in random order, every attempt with a fresh
    idempotency key. Returns (statuses, bodies by status, latencies in s, wall time)."""
    # The live server listens on "localhost" (IPv4); the race talks to 127.0.0.1 only.
    port = urlsplit(base_url).port
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    plan = [shoppers[n % len(shoppers)] for n in range(attempts)]
    random.Random(7).shuffle(plan)
    lock = threading.Lock()
    statuses, bodies, latencies, retries = Counter(), {}, [], Counter()
    path = f"/api/v1/flash-sales/{sale_id}/buy/"
    position = 0
    deadline = time.monotonic() + TIME_LIMIT
    barrier = threading.Barrier(clients)

    def client():
        nonlocal position
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            # Connections opened one at a time (the development server's listen backlog
            # is 10) and proven with a first request, before the crowd starts at once.
            with lock:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
            barrier.wait(timeout=30)
            while time.monotonic() < deadline:
                with lock:
                    if position >= len(plan):
                        return
                    _user, session, address = plan[position]
                    position += 1
                body = json.dumps(
                    {"quantity": 1, "address": address, "shipping_method": "standard"}
                )
                headers = {
                    "Content-Type": "application/json",
                    "Cookie": f"sessionid={session}; csrftoken={csrf}",
                    "X-CSRFToken": csrf,
                    "Idempotency-Key": uuid.uuid4().hex,
                    "Accept-Language": "en",
                }
                begin = time.perf_counter()
                for _try in range(3):
                    # A dropped connection is retried with the same key, as a real client
                    # would: the key makes the retry safe whether or not the first arrived.
                    try:
                        connection.request("POST", path, body, headers)
                        response = connection.getresponse()
                        payload = response.read()
                        status = response.status
                        break
                    except (OSError, http.client.HTTPException) as error:
                        connection.close()
                        status, payload = f"{type(error).__name__}", str(error).encode()
                        with lock:
                            retries[status] += 1
                elapsed = time.perf_counter() - begin
                with lock:
                    statuses[status] += 1
                    bodies.setdefault(status, []).append(payload)
                    latencies.append(elapsed)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIME_LIMIT + 30)
    wall = time.monotonic() - started
    if retries:
        print(f"\nretried after a dropped connection: {dict(retries)}")
    return statuses, bodies, sorted(latencies), wall


def run_race(live_server, *, units: int, shoppers: int, attempts: int, clients: int):
    sku = sale_sku(price="100.00", stock=units + 50)
    sale = schedule(sku, price="59.00", quantity=units, limit=1)
    users, addresses = bulk_shoppers(shoppers)
    sessions = bulk_sessions(users)
    plan = [(user.pk, sessions[user.pk], addresses[user.pk]) for user in users]
    statuses, bodies, latencies, wall = fire(
        live_server.url, sale.pk, plan, attempts=attempts, clients=clients
    )
    return sku, sale, statuses, bodies, latencies, wall


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
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000 if latencies else 0
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
