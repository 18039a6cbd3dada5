"""The sandbox payment provider: its signatures, its own books (it refuses to refund more
than it received, and pays once per refund number), and the delivery of its signed
notifications over HTTP, retried until the shop answers "success" — once through a real
Celery worker to the shop served by ``live_server``."""

import datetime
import http.server
import logging
import os
import subprocess
import sys
import threading
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest
import redis as redis_lib
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from celery.signals import task_postrun
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from mall.celery import app as celery_app
from orders import tasks
from orders.models import Order, PaymentNotification, SandboxRefund, SandboxTrade
from orders.providers.adapters import sandbox_gateway
from orders.providers.base import BadSignature, ProviderRefused, TradeNotFound
from orders.providers.registry import UnknownProvider, choices, get_provider
from tests.orders import paying
from tests.orders.factories import listed_sku, place


@pytest.fixture
def order(db):
    return place(items=[(listed_sku(price="45.00", stock=10), 1)])  # 55.00 with shipping


# --- Signatures -------------------------------------------------------------------------------


def test_signatures_cover_every_parameter_and_need_the_key(settings):
    params = sandbox_gateway.signed({"out_trade_no": "P1", "total_amount": "55.00", "empty": ""})
    assert sandbox_gateway.verify(params)
    assert not sandbox_gateway.verify({**params, "total_amount": "5.00"})
    assert not sandbox_gateway.verify({**params, "extra": "1"})
    assert not sandbox_gateway.verify({k: v for k, v in params.items() if k != "sign"})
    assert not sandbox_gateway.verify({**params, "sign": "签名"})  # not even ASCII
    assert not sandbox_gateway.verify({**params, "sign_type": "MD5"})
    settings.MALL_SANDBOX_PAY_SECRET = "another key"
    assert not sandbox_gateway.verify(params)


def test_the_adapter_reads_only_verified_messages(order):
    provider = get_provider("sandbox")
    payment = paying.start(order).payment
    trade = paying.settle(payment)
    notice = provider.parse_notification(sandbox_gateway.notification_params(trade))
    assert (notice.out_trade_no, notice.status, notice.amount, notice.provider_trade_no) == (
        payment.out_trade_no,
        "succeeded",
        Decimal("55.00"),
        trade.trade_no,
    )
    assert notice.paid_at is not None
    returned = provider.parse_return(sandbox_gateway.return_params(trade))
    assert returned.status == "waiting"  # a return proves nothing: the shop queries
    with pytest.raises(BadSignature):
        provider.parse_return(sandbox_gateway.notification_params(trade))
    with pytest.raises(BadSignature):
        provider.parse_notification({"out_trade_no": payment.out_trade_no})
    assert provider.query_trade(out_trade_no=payment.out_trade_no).status == "succeeded"
    with pytest.raises(TradeNotFound):
        provider.query_trade(out_trade_no="P0")


def test_providers_not_switched_on_do_not_exist(settings):
    assert [name for name, _label in choices()] == ["sandbox"]
    settings.MALL_PAYMENT_PROVIDERS = []
    assert choices() == []
    with pytest.raises(UnknownProvider):
        get_provider("sandbox")
    settings.MALL_PAYMENT_PROVIDERS = ["sandbox", "paypal"]  # no adapter of that name
    with pytest.raises(UnknownProvider):
        get_provider("paypal")


# --- The sandbox's books -------------------------------------------------------------------------


def test_the_sandbox_refuses_to_refund_beyond_what_it_received_and_pays_once_per_number(order):
    payment = paying.start(order).payment
    number = payment.out_trade_no
    with pytest.raises(ProviderRefused, match="not paid"):
        sandbox_gateway.refund(out_trade_no=number, out_request_no="R1", amount=Decimal("1.00"))
    paying.settle(payment)

    first = sandbox_gateway.refund(out_trade_no=number, out_request_no="R1", amount=Decimal("50"))
    again = sandbox_gateway.refund(out_trade_no=number, out_request_no="R1", amount=Decimal("50"))
    assert again.pk == first.pk
    with pytest.raises(ProviderRefused, match=r"exceeds the 5\.00 left"):
        sandbox_gateway.refund(out_trade_no=number, out_request_no="R2", amount=Decimal("5.01"))
    with pytest.raises(ProviderRefused, match="used for another refund"):
        sandbox_gateway.refund(out_trade_no=number, out_request_no="R1", amount=Decimal("5"))
    with pytest.raises(TradeNotFound):
        sandbox_gateway.refund(out_trade_no="P0", out_request_no="R3", amount=Decimal("1"))
    trade = paying.trade_of(payment)
    assert trade.refunded_amount == Decimal("50.00")
    assert SandboxRefund.objects.count() == 1


def test_an_expired_trade_closes_and_takes_no_money(client, order):
    started = paying.start(order)
    SandboxTrade.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    client.force_login(order.user)
    refused = client.post(started.redirect_url, {"outcome": "pay"})
    assert refused.status_code == 409
    assert "closed" in refused.text
    provider = get_provider("sandbox")
    assert provider.query_trade(out_trade_no=started.payment.out_trade_no).status == "closed"
    assert provider.close_trade(out_trade_no=started.payment.out_trade_no) is True


# --- Delivering notifications ----------------------------------------------------------------


class Merchant:
    """A stand-in merchant on 127.0.0.1 answering the sandbox's POSTs from a script."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.received: list[dict[str, str]] = []
        merchant = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                merchant.received.append(dict(parse_qsl(self.rfile.read(length).decode())))
                body = merchant.answers.pop(0).encode() if merchant.answers else b"fail"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/notify/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _settled_trade(order, notify_url) -> SandboxTrade:
    payment = paying.start(order).payment
    SandboxTrade.objects.filter(out_trade_no=payment.out_trade_no).update(notify_url=notify_url)
    return paying.settle(payment)


def test_delivery_is_retried_until_the_merchant_answers_success_then_stops(order, settings):
    settings.MALL_SANDBOX_NOTIFY_RETRY_DELAYS = [1, 1, 1]
    with Merchant(["fail", "oops", "success"]) as merchant:
        trade = _settled_trade(order, merchant.url)
        # Run as the worker would (eagerly here: a retry runs at once, without waiting).
        result = tasks.deliver_sandbox_notification.apply(args=[trade.pk])
        assert result.get() == "delivered"
        assert len(merchant.received) == 3
        assert sandbox_gateway.verify(merchant.received[0])
        assert merchant.received[0]["out_trade_no"] == trade.out_trade_no
        assert merchant.received[0]["trade_status"] == "TRADE_SUCCESS"
        trade.refresh_from_db()
        assert trade.notified_at is not None and trade.notify_attempts == 3
        # Acknowledged: nothing is sent again.
        assert tasks.deliver_sandbox_notification.apply(args=[trade.pk]).get() == "delivered"
        assert len(merchant.received) == 3


def test_delivery_gives_up_after_the_last_delay(order, settings):
    settings.MALL_SANDBOX_NOTIFY_RETRY_DELAYS = [1, 1]
    with Merchant([]) as merchant:
        trade = _settled_trade(order, merchant.url)
        assert tasks.deliver_sandbox_notification.apply(args=[trade.pk]).get() == "given up"
    assert len(merchant.received) == 3  # the first try and one per delay
    trade.refresh_from_db()
    assert (trade.notified_at, trade.notify_attempts, trade.last_notify_result) == (None, 3, "fail")


def test_the_sandbox_sends_nothing_off_this_machine(order, caplog):
    trade = _settled_trade(order, "http://shop.example.com/payments/notify/sandbox/")
    with caplog.at_level(logging.WARNING, logger="orders.payments.sandbox"):
        assert sandbox_gateway.deliver_notification(trade.pk) == sandbox_gateway.UNDELIVERABLE
    trade.refresh_from_db()
    assert trade.notify_attempts == 0 and "not allowed" in caplog.text
    # Nor through a redirect: an answer other than "success" is not an acknowledgement.
    assert not sandbox_gateway.notify_url_allowed("ftp://127.0.0.1/notify/")
    assert sandbox_gateway.notify_url_allowed("http://[::1]:8000/payments/notify/sandbox/")


class WorkerRuns:
    """Sends tasks through the broker and waits for the worker to finish each one."""

    def __init__(self, broker_url: str):
        self.broker_url = broker_url
        self.finished: dict[str, tuple[str, object]] = {}
        self.changed = threading.Condition()

    def on_postrun(self, task_id=None, state=None, retval=None, **kwargs):
        if state in ("SUCCESS", "FAILURE"):
            with self.changed:
                self.finished[task_id] = (state, retval)
                self.changed.notify_all()

    def run(self, task, timeout=30, **kwargs):
        with celery_app.connection_for_write(self.broker_url) as connection:
            result = task.apply_async(kwargs=kwargs, producer=connection.Producer())
        assert not isinstance(result, EagerResult)
        with self.changed:
            done = self.changed.wait_for(lambda: result.id in self.finished, timeout=timeout)
        assert done, f"the worker did not finish {task.name} within {timeout} s"
        state, retval = self.finished[result.id]
        assert state == "SUCCESS", retval
        return retval


@pytest.fixture
def worker(settings):
    """A real Celery worker in a thread of this process, on a Redis database of its own
    (the pattern of tests/catalog/test_tasks.py). Request it before ``transactional_db``
    and ``live_server``: starting a worker closes this thread's database connections."""
    assert not any(conn.in_atomic_block for conn in connections.all(initialized_only=True))
    broker_url = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{1 + os.getpid() % 15}"))
    broker = redis_lib.Redis.from_url(broker_url)
    broker.flushdb()
    conf = celery_app.conf
    saved = {
        key: getattr(conf, key)
        for key in ("broker_url", "task_always_eager", "worker_hijack_root_logger")
    }
    conf.broker_url = broker_url
    conf.task_always_eager = False
    conf.worker_hijack_root_logger = False
    root = logging.getLogger()
    root_handlers, root_level = root.handlers[:], root.level
    runs = WorkerRuns(broker_url)
    task_postrun.connect(runs.on_postrun, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False):
            yield runs
    finally:
        task_postrun.disconnect(runs.on_postrun)
        for key, value in saved.items():
            setattr(conf, key, value)
        root.handlers[:] = root_handlers
        root.setLevel(root_level)
        broker.flushdb()
        broker.close()


def test_a_worker_delivers_the_notification_to_the_shop_and_the_order_is_paid(
    worker, live_server, transactional_db, client, monkeypatch
):
    order = place(items=[(listed_sku(price="45.00", stock=10), 1)])
    host = urlsplit(live_server.url).netloc
    started = paying.start(order, host=host)
    assert started.redirect_url.startswith(live_server.url)
    scheduled = []
    monkeypatch.setattr(tasks.deliver_sandbox_notification, "delay", scheduled.append)

    client.force_login(order.user)
    paid = client.post(
        reverse("payments:sandbox_pay", args=[started.payment.out_trade_no]), {"outcome": "pay"}
    )
    assert paid.status_code == 302
    trade = paying.trade_of(started.payment)
    assert scheduled == [trade.pk]  # the page scheduled the delivery after commit

    assert worker.run(tasks.deliver_sandbox_notification, trade_id=trade.pk) == "delivered"

    order.refresh_from_db()
    trade.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert trade.notified_at is not None and trade.last_notify_result == "success"
    record = PaymentNotification.objects.get()
    assert (record.outcome, record.payment) == ("accepted", started.payment)


# --- Settings ---------------------------------------------------------------------------------


def _settings_in_a_fresh_process(env):
    keep = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MALL_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings as s; print(s.MALL_PAYMENT_PROVIDERS)",
        ],
        cwd=django_settings.BASE_DIR,
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_sandbox_is_off_in_production_unless_switched_on_with_its_own_secret():
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "shop.example.com",
        # Production also needs the personal data's keys (mall/crypto.py).
        "MALL_FIELD_KEYS": Fernet.generate_key().decode(),
        "MALL_FIELD_INDEX_KEY": "i" * 43,
    }
    default = _settings_in_a_fresh_process(production)
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip().splitlines()[-1] == "[]"

    without_secret = _settings_in_a_fresh_process(
        {**production, "MALL_PAYMENT_PROVIDERS": "sandbox"}
    )
    assert without_secret.returncode != 0
    assert "MALL_SANDBOX_PAY_SECRET must be set" in without_secret.stderr

    with_secret = _settings_in_a_fresh_process(
        {**production, "MALL_PAYMENT_PROVIDERS": "sandbox", "MALL_SANDBOX_PAY_SECRET": "s" * 40}
    )
    assert with_secret.returncode == 0, with_secret.stderr
    assert with_secret.stdout.strip().splitlines()[-1] == "['sandbox']"
