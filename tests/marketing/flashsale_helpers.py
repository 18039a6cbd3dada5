"""Helpers for the flash-sale tests: a listed SKU with stock, sales scheduled through
the service, shoppers with addresses and signed-in sessions made in bulk, and the crowd
of buy attempts that the race test and tests/bench/bench_flash_sale.py fire over HTTP."""

import datetime
import http.client
import json
import random
import secrets
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import caches
from django.utils import timezone

from customers.models import Address, User
from marketing.services import flashsales as flashsale
from tests.orders.factories import listed_sku

BACKEND = "customers.auth.PhoneOrEmailBackend"


def sale_sku(*, price="100.00", stock=20, name="秒杀龙井"):
    return listed_sku(price=price, stock=stock, name=name)


def schedule(
    sku,
    *,
    price="59.00",
    quantity=5,
    limit=1,
    starts_in=datetime.timedelta(minutes=-1),
    lasts=datetime.timedelta(hours=1),
):
    """A sale of ``sku`` scheduled through the service; live now by default."""
    starts_at = timezone.now() + starts_in
    return flashsale.schedule_sale(
        sku=sku,
        price=Decimal(price),
        quantity=quantity,
        per_shopper_limit=limit,
        starts_at=starts_at,
        ends_at=starts_at + lasts,
        actor=None,
    )


def bulk_shoppers(count: int, *, prefix: str = "177"):
    """``count`` shoppers with one default address each, in three queries."""
    users = User.objects.bulk_create(
        [
            User(phone=f"{prefix}{n:08d}", email=f"flash{prefix}{n}@example.com", password="!")
            for n in range(count)
        ]
    )
    Address.objects.bulk_create(
        [
            Address(
                user=user,
                recipient="李四",
                mobile=f"13{n:09d}"[:11],
                province="浙江省",
                city="杭州市",
                district="西湖区",
                street=f"文三路 {n} 号",
                is_default=True,
            )
            for n, user in enumerate(users)
        ]
    )
    addresses = {a.user_id: a.pk for a in Address.objects.filter(user__in=users)}
    return users, addresses


def bulk_sessions(users) -> dict[int, str]:
    """A signed-in session per shopper, written to the session store (Redis) in one
    round trip: user id -> session key."""
    keys, entries = {}, {}
    for user in users:
        store = SessionStore()
        key = store._get_new_session_key()
        entries[SessionStore(session_key=key).cache_key] = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        keys[user.pk] = key
    caches[settings.SESSION_CACHE_ALIAS].set_many(entries, timeout=settings.SESSION_COOKIE_AGE)
    return keys


@dataclass
class BuyAttempts:
    """What a crowd of buy attempts got back (copied when the crowd ended)."""

    statuses: Counter  # HTTP status, or the exception's name when every try failed
    bodies: dict  # status -> response bodies (or error messages), in arrival order
    latencies: list[float]  # ms per attempt, retries included, sorted
    winners: list[float]  # ms per 201, sorted
    won_at: list[float]  # s from the crowd's start to each 201
    errors: list[tuple[str, str]]  # (exception name, message) per failed try
    wall: float  # s from the crowd's start until every client ended or was left behind


def fire_buy_attempts(
    port: int,
    sale_id: int,
    shoppers,
    *,
    attempts: int,
    clients: int,
    time_limit: float,
    seed: int,
    tries: int = 1,
    headers: dict | None = None,
) -> BuyAttempts:
    """``attempts`` POSTs to the buy endpoint of sale ``sale_id`` on 127.0.0.1:``port``
    from ``clients`` threads, each on its own keep-alive connection; ``shoppers`` are
    ``(user id, session key, address id)``, taken in an order shuffled with ``seed``,
    every attempt with a fresh idempotency key (and ``headers`` besides). The crowd
    starts at once when every connection is open and stops after ``time_limit`` seconds
    whatever happens; clients still busy 35 s past that are left behind. An attempt whose
    connection drops is tried up to ``tries`` times with the same key."""
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    plan = [shoppers[n % len(shoppers)] for n in range(attempts)]
    random.Random(seed).shuffle(plan)
    path = f"/api/v1/flash-sales/{sale_id}/buy/"
    lock = threading.Lock()
    statuses: Counter = Counter()
    bodies: dict = {}
    latencies: list[float] = []
    winners: list[float] = []
    won_at: list[float] = []
    errors: list[tuple[str, str]] = []
    position = 0
    barrier = threading.Barrier(clients + 1)
    started = 0.0

    def client():
        nonlocal position
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            # Connections opened one at a time (Django's development server has a listen
            # backlog of 10) and proven with a first request, before the crowd starts.
            with lock:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
            barrier.wait(timeout=60)
            while time.monotonic() < started + time_limit:
                with lock:
                    if position >= len(plan):
                        return
                    _user, session, address = plan[position]
                    position += 1
                body = json.dumps(
                    {"quantity": 1, "address": address, "shipping_method": "standard"}
                )
                request_headers = {
                    "Content-Type": "application/json",
                    "Cookie": f"sessionid={session}; csrftoken={csrf}",
                    "X-CSRFToken": csrf,
                    "Idempotency-Key": uuid.uuid4().hex,
                    **(headers or {}),
                }
                begin = time.perf_counter()
                for _try in range(tries):
                    # A retry keeps the key, as a real client would: the key makes it safe
                    # whether or not the first try arrived.
                    try:
                        connection.request("POST", path, body, request_headers)
                        response = connection.getresponse()
                        payload = response.read()
                        status = response.status
                        break
                    except (OSError, http.client.HTTPException) as error:
                        connection.close()
                        status, payload = type(error).__name__, str(error).encode()
                        with lock:
                            errors.append((status, str(error)))
                elapsed = (time.perf_counter() - begin) * 1000
                with lock:
                    statuses[status] += 1
                    bodies.setdefault(status, []).append(payload)
                    latencies.append(elapsed)
                    if status == 201:
                        winners.append(elapsed)
                        won_at.append(time.monotonic() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    barrier.wait(timeout=120)
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=max(0.0, started + time_limit + 35 - time.monotonic()))
    wall = time.monotonic() - started
    with lock:  # clients still running past the limit are left behind, not waited for
        return BuyAttempts(
            statuses=Counter(statuses),
            bodies={status: list(payloads) for status, payloads in bodies.items()},
            latencies=sorted(latencies),
            winners=sorted(winners),
            won_at=list(won_at),
            errors=list(errors),
            wall=wall,
        )
