"""The crowd that loses a flash sale is answered without PostgreSQL: the shopper from the
session in Redis, the sale from Redis, the refusal from the gate. What goes on to the
database reads and checks the user row first, so a session that no longer holds buys
nothing and gives its units back."""

import datetime
import uuid

import pytest
from django.contrib.auth import login
from django.contrib.sessions.backends.cache import SessionStore
from django.db import connection

from customers.exceptions import NotSignedIn
from customers.sessions import SessionShopper, session_shopper
from marketing.selectors import flashsales as flash_selectors
from marketing.services import flash_gate
from marketing.services import flashsales as flashsale
from orders.models import Order
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.flashsale_helpers import sale_sku, schedule

pytestmark = pytest.mark.django_db

BODY = {"quantity": 1, "shipping_method": "standard"}


@pytest.fixture
def gate(redis_client, settings, monkeypatch):
    """The gate on, an empty test Redis, and this process's cache of sales empty: the
    sale is read from Redis."""
    settings.MALL_FLASH_SALE_GATE = "redis"
    monkeypatch.setattr(flash_selectors, "_sales_to_buy", {})
    return redis_client


def shopper():
    user = UserFactory()
    return user, AddressFactory(user=user)


def post(client, sale, address, key=None):
    return client.post(
        f"/api/v1/flash-sales/{sale.pk}/buy/",
        {**BODY, "address": address.pk},
        content_type="application/json",
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


class StatementLog:
    """Every SQL statement the default connection sends, whatever sends it."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


def test_the_losers_run_no_sql_statement_at_all(client, gate, django_assert_num_queries):
    sale = schedule(sale_sku(stock=10), quantity=1, limit=1)
    winner, winner_address = shopper()
    client.force_login(winner)
    assert post(client, sale, winner_address, key="won").status_code == 201  # primes Redis
    flash_selectors._sales_to_buy.clear()  # the next process reads the sale from Redis
    loser, loser_address = shopper()

    client.force_login(loser)
    log = StatementLog()
    with django_assert_num_queries(0), connection.execute_wrapper(log):
        sold_out = post(client, sale, loser_address)
    assert log.statements == []
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "sold_out"

    client.force_login(winner)  # a second purchase of the winner: over the limit
    with django_assert_num_queries(0):
        again = post(client, sale, winner_address)
    assert again.status_code == 400 and again.json()["code"] == "over_limit"
    assert Order.objects.count() == 1


def test_an_attempt_before_the_start_runs_no_sql(client, gate, django_assert_num_queries):
    sale = schedule(sale_sku(stock=10), quantity=2, starts_in=datetime.timedelta(hours=1))
    user, address = shopper()
    flash_gate.keep_sale(sale)  # as the first attempt (or reconcile) wrote it
    client.force_login(user)
    with django_assert_num_queries(0):
        early = post(client, sale, address)
    assert early.status_code == 400 and early.json()["code"] == "not_started"


def test_the_sale_kept_in_redis_is_the_sale(gate):
    sale = schedule(sale_sku(stock=10), price="59.90", quantity=3, limit=2)
    assert flash_gate.kept_sale(sale.pk) is None
    flash_gate.keep_sale(sale)
    kept = flash_gate.kept_sale(sale.pk)
    fields = ("pk", "sku_id", "price", "quantity", "per_shopper_limit", "starts_at", "ends_at")
    assert [getattr(kept, name) for name in fields] == [getattr(sale, name) for name in fields]
    assert gate.ttl(flash_gate.sale_key(sale.pk)) > 0


def test_ending_a_sale_drops_what_redis_kept_of_it(gate, django_capture_on_commit_callbacks):
    sale = schedule(sale_sku(stock=10), quantity=3)
    flash_gate.keep_sale(sale)
    with django_capture_on_commit_callbacks(execute=True):
        flashsale.end_sale(sale=sale, actor=None)
    assert flash_gate.kept_sale(sale.pk) is None
    user, address = shopper()
    with pytest.raises(flashsale.SaleEnded):
        flashsale.buy(
            sale=flash_selectors.sale_to_buy(sale.pk),
            user=user,
            quantity=1,
            address=address,
            shipping_method="standard",
            idempotency_key="late",
        )


def test_a_session_ended_by_a_password_change_buys_nothing_and_gives_the_unit_back(client, gate):
    sale = schedule(sale_sku(stock=10), quantity=2, limit=1)
    user, address = shopper()
    client.force_login(user)
    user.set_password("a-new-password-2026")  # changed elsewhere: this session ends
    user.save()

    refused = post(client, sale, address)
    assert refused.status_code == 403 and refused.json()["code"] == "not_signed_in"
    assert Order.objects.count() == 0
    assert gate.get(flash_gate.gate_keys(sale.pk)[0]) == b"2"  # the unit went back
    assert gate.hlen(flash_gate.gate_keys(sale.pk)[1]) == 0
    assert post(client, sale, address).status_code == 403  # the session itself is gone


def test_after_logout_the_flash_endpoint_refuses(client, gate):
    sale = schedule(sale_sku(stock=10), quantity=2)
    user, address = shopper()
    client.force_login(user)
    client.post("/accounts/logout/")
    assert post(client, sale, address).status_code == 403
    assert Order.objects.count() == 0


def test_a_session_shopper_resolves_to_the_checked_user_row(rf):
    user, _address = shopper()
    request = rf.get("/")
    request.session = SessionStore()
    login(request, user, backend="customers.auth.PhoneOrEmailBackend")
    shopper_of_session = session_shopper(request)
    assert shopper_of_session.pk == user.pk
    assert shopper_of_session.resolve() == user

    user.is_active = False  # the account closed: its sessions no longer hold
    user.save()
    with pytest.raises(NotSignedIn):
        SessionShopper(request, user.pk).resolve()
