"""Fault drill: PostgreSQL stops under the running shop (``pg_ctl -m immediate``, as a
crash) and is started again through ops.devstack. Meanwhile the API answers 503 JSON
with Retry-After, pages a translated 503 page, /readyz names the database; afterwards
PostgreSQL is back on the same port and the same web server answers again."""

import json
import secrets

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cache import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.core.cache.backends.redis import RedisCache

from ops import devstack

from .conftest import wait_for

pytestmark = pytest.mark.faults


def signed_in(stack) -> dict[str, str]:
    """A cookie of a session in the drill's Redis (where sessions live) naming a shopper:
    loading that shopper needs the database."""
    key = secrets.token_hex(16)
    sessions = RedisCache(stack.redis_url, {"KEY_PREFIX": "mall-session"})
    sessions.set(
        SESSION_CACHE_PREFIX + key,
        {SESSION_KEY: "1", BACKEND_SESSION_KEY: "customers.auth.PhoneOrEmailBackend"},
        timeout=600,
    )
    return {"Cookie": f"sessionid={key}"}


def stop_postgres_immediately(stack) -> None:
    server = devstack.Postgres(stack.state, fast=True)
    server._run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")


def test_the_shop_answers_503_during_a_database_outage_and_recovers(stack, shop):
    web = shop.pids()["web"]
    assert shop.get("/api/v1/orders/", Accept="application/json")[0] == 403
    cookie = signed_in(stack)

    stop_postgres_immediately(stack)
    try:
        status, headers, body = shop.get("/api/v1/orders/", Accept="application/json", **cookie)
        assert status == 503
        assert headers["Content-Type"] == "application/json"
        assert headers["Retry-After"] == "30"
        assert json.loads(body)["code"] == "service_unavailable"

        status, headers, body = shop.get("/", **cookie)
        assert status == 503
        assert headers["Retry-After"] == "30"
        assert "商城暂时无法访问" in body.decode()

        readyz = shop.readyz()
        assert readyz["http_status"] == 503
        assert readyz["checks"]["database"]["ok"] is False
        assert readyz["checks"]["worker"]["ok"] is True  # the worker is not blamed
    finally:
        # Started again the way bin/shop and bin/test start it: on its recorded port,
        # although the killed server's connections linger in TIME_WAIT there.
        urls = devstack.start(stack.state, fast=True)

    assert urls["DATABASE_URL"] == stack.database_url
    wait_for(
        "the shop reads the database again",
        lambda: shop.readyz()["checks"]["database"]["ok"],
        timeout=20,
    )
    status, _, _ = shop.get("/api/v1/orders/", Accept="application/json", **cookie)
    assert status == 403  # a session naming no shopper here: signed out, by the database
    assert shop.get("/")[0] == 200
    assert shop.pids()["web"] == web  # the same web server, not restarted
