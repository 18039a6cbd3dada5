"""Reads that scale out, against a real PostgreSQL streaming replica of the test server
(``pg_basebackup -R`` from the embedded PostgreSQL, started on its own port for this
module): the storefront's listings, search and product pages read from it, checkout, the
cart and every write never do, and a shopper who just wrote reads the primary."""

import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product
from mall.dbrouting import PIN_COOKIE
from ops import devstack
from orders.models import Order
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import AddressFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
REPLICA = "replica1"
# A replica only sees committed rows; the tests may use its connection.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module")
def replica(django_db_setup):
    """A streaming replica of the test database's server, as ``DATABASE_REPLICA_URLS``
    would add it: the alias ``replica1`` (same database name, the standby's port). Marked
    as a test mirror of the primary, so that tests flush the primary only (the flush
    then streams over) and never try to write to the standby."""
    primary = connections["default"].settings_dict
    if primary["HOST"] not in ("127.0.0.1", "localhost"):
        pytest.fail("the replica test starts its standby from a PostgreSQL on 127.0.0.1")
    state = ROOT / ".run" / "replicas" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    state.mkdir(parents=True)
    server = devstack.Postgres(state, fast=True)
    port = devstack._free_port()
    config = {
        **primary,
        "PORT": str(port),
        "TEST": {**primary.get("TEST", {}), "MIRROR": "default"},
    }
    try:
        server.start_standby(int(primary["PORT"]), port)
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(settings.DATABASES, REPLICA, config)
            # Usually the same dict; not after a test that changed a setting made Django
            # rebuild the connections' copy (then the alias read another server).
            if connections.settings is not settings.DATABASES:
                patch.setitem(connections.settings, REPLICA, config)
            if hasattr(connections._connections, REPLICA):
                getattr(connections._connections, REPLICA).close()
                patch.delattr(connections._connections, REPLICA)
            yield connections[REPLICA]
            connections[REPLICA].close()
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def caught_up(replica, timeout: float = 20.0) -> None:
    """Wait (bounded) until the replica has replayed everything the primary committed.

    The target is the WAL *insert* position: the test cluster runs with
    ``synchronous_commit=off``, so a commit returns while its record may still sit in the
    WAL buffers, behind ``pg_current_wal_lsn()`` (the *write* position). Waiting for the
    write position could return before the commit reached the replica (a flaky read of the
    old row); the WAL writer sends the rest within ``wal_writer_delay``."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail(f"the replica did not replay up to {lsn} within {timeout} s")


def set_replay(replica, *, paused: bool) -> None:
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"
        )


@pytest.fixture
def goods():
    tea = tea_categories()
    green = tea.children.get()
    return make_listed_product(name="西湖龙井绿茶", category=green, prices=["88.00"], stock=5)


def test_storefront_reads_go_to_the_streaming_replica(client, replica, goods):
    caught_up(replica)
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)  # a standby, not a second name for the primary

    pages = [
        "/",
        "/category/food/",
        "/category/food/?price_min=50&price_max=100",
        "/search/?q=绿茶",
        f"/product/{goods.pk}/",
    ]
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(replica) as on_replica,
    ):
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "西湖龙井绿茶" in response.text, url
    assert len(on_replica) >= len(pages)
    assert [q["sql"] for q in on_primary] == []

    # The page shows what the replica has: with its replay paused, a rename committed on
    # the primary is not there yet; once it replays, it is.
    set_replay(replica, paused=True)
    try:
        Product.objects.filter(pk=goods.pk).update(name="狮峰龙井绿茶")
        assert "西湖龙井绿茶" in client.get(f"/product/{goods.pk}/").text
    finally:
        set_replay(replica, paused=False)
    caught_up(replica)
    assert "狮峰龙井绿茶" in client.get(f"/product/{goods.pk}/").text


def _checkout_form(page):
    form = page.context["form"]
    return {
        "address": form["address"].value(),
        "shipping_method": form["shipping_method"].value(),
        "idempotency_key": form["idempotency_key"].value(),
        "expected_total": form["expected_total"].value(),
        "invoice_title": "",
        "tax_number": "",
    }


def test_cart_checkout_and_a_shopper_who_just_wrote_never_read_the_replica(client, replica, goods):
    shopper = UserFactory()
    AddressFactory(user=shopper, is_default=True)
    client.force_login(shopper)
    sku = goods.skus.get()
    caught_up(replica)

    with CaptureQueriesContext(replica) as on_replica:
        added = client.post(reverse("orders:cart_add"), {"sku": sku.pk, "quantity": 2})
        assert added.status_code == 302
        assert client.cookies[PIN_COOKIE].value == "1"  # read-your-writes from here on
        assert client.get(reverse("orders:cart")).status_code == 200
        page = client.get(reverse("orders:checkout"))
        placed = client.post(reverse("orders:checkout"), _checkout_form(page))
        assert placed.status_code == 302
        # Right after writing, even a storefront page reads the primary.
        assert client.get(f"/product/{goods.pk}/").status_code == 200
    assert Order.objects.filter(user=shopper).count() == 1
    assert [q["sql"] for q in on_replica] == []

    # Once the pin expires (the cookie is gone), the same page reads the replica again.
    del client.cookies[PIN_COOKIE]
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(f"/product/{goods.pk}/").status_code == 200
    assert len(on_replica) > 0
