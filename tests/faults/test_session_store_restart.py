"""Fault drill: the Redis that holds the sessions restarts. A real redis-server of its own
(started here, on 127.0.0.1) backs the ``sessions`` cache for this test. Restarted with
its append-only file, it keeps everyone signed in; while it is down, or when it comes
back without its data, shoppers are signed out cleanly: pages treat them as visitors
(no 500), signing in answers 503 until it is back, and signing in again works."""

import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from ops import devstack
from tests.customers.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

BASE_DIR = Path(__file__).resolve().parents[2]
ACCOUNT = reverse("customers:account")
LOGIN = reverse("customers:login")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def session_redis(settings):
    """A redis-server of this test's own behind the ``sessions`` cache."""
    state = Path(tempfile.mkdtemp(prefix="sessions-", dir=BASE_DIR / ".run"))
    server = devstack.Redis(state, fast=True)
    port = free_port()
    url = server.start(port)
    sessions = {**settings.CACHES["sessions"], "LOCATION": url}
    settings.CACHES = {**settings.CACHES, "sessions": sessions}
    try:
        yield server, port
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def signed_in(client) -> bool:
    return client.get(ACCOUNT).status_code == 200


def sign_in(client, user):
    return client.post(LOGIN, {"username": user.phone, "password": PASSWORD})


def test_a_restart_with_its_data_keeps_shoppers_signed_in(client, session_redis):
    server, port = session_redis
    user = UserFactory()
    assert sign_in(client, user).status_code == 302 and signed_in(client)

    server.stop()  # a clean restart: the append-only file has every session
    server.start(port)
    assert signed_in(client)


def test_a_redis_down_or_without_its_data_signs_shoppers_out_cleanly(client, session_redis):
    server, port = session_redis
    user = UserFactory()
    assert sign_in(client, user).status_code == 302 and signed_in(client)

    server.stop()
    while_down = client.get(ACCOUNT)
    assert while_down.status_code == 302 and while_down.url.startswith(LOGIN)
    assert client.get("/").status_code == 200  # the storefront, as a visitor
    client.raise_request_exception = False  # the error is logged; the shopper sees a 503
    assert sign_in(client, user).status_code == 503  # no session can be written
    client.raise_request_exception = True

    shutil.rmtree(server.dir)  # it comes back without its data
    server.start(port)
    back = client.get(ACCOUNT)
    assert back.status_code == 302 and back.url.startswith(LOGIN)
    assert sign_in(client, user).status_code == 302 and signed_in(client)
