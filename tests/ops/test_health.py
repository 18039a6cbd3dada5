"""Liveness and readiness probes against the real PostgreSQL and Redis, and a real Celery
worker for the heartbeat that readiness reads."""

import logging
import socket
import time
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.db import connections
from django.urls import reverse

from mall.celery import app as celery_app
from ops import health
from ops.tasks import record_worker_heartbeat

HEARTBEAT_TASK = "ops.tasks.record_worker_heartbeat"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once the socket is closed


def test_healthz_answers_without_checking_dependencies(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_without_worker_heartbeat_is_unavailable(client, redis_client):
    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["worker"]["ok"] is False
    assert "no heartbeat" in body["checks"]["worker"]["error"]


@pytest.fixture
def worker_thread(settings, redis_client):
    """A real Celery worker, in a thread of this process, consuming from the test Redis.

    Request it before ``db``: starting a worker runs Celery's Django fixup, which closes
    this thread's database connections, and with them a test transaction already open.
    """
    assert not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)), (
        "request the worker_thread fixture before db (see its docstring)"
    )
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        "task_always_eager": conf.task_always_eager,
        "worker_hijack_root_logger": conf.worker_hijack_root_logger,
    }
    root_handlers = logging.getLogger().handlers[:]
    conf.broker_url = settings.REDIS_URL
    conf.task_always_eager = False  # the task must travel through the broker
    conf.worker_hijack_root_logger = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False) as worker:
            yield worker
    finally:
        for key, value in saved.items():
            setattr(conf, key, value)
        logging.getLogger().handlers[:] = root_handlers


def test_readyz_is_ok_once_a_real_worker_stamped_its_heartbeat(
    client, settings, redis_client, worker_thread, db
):
    # The worker consumes from, and delay() publishes to, the Redis of this test run.
    expected = urlsplit(settings.REDIS_URL)
    for conn in (worker_thread.consumer.connection, celery_app.connection_for_write()):
        assert conn.transport_cls == "mall.broker:Transport"
        assert (conn.hostname, conn.port) == (expected.hostname, expected.port)
        assert str(conn.virtual_host) == expected.path.lstrip("/")

    # The worker stamped its heartbeat when it connected, with no task and no beat.
    deadline = time.monotonic() + 20
    while redis_client.get(health.HEARTBEAT_KEY) is None:
        assert time.monotonic() < deadline, "the worker stamped no heartbeat within 20 s"
        time.sleep(0.05)
    assert health.check_worker_heartbeat()["worker"] == worker_thread.hostname

    # The task stamps it from a pool process, through the broker.
    result = record_worker_heartbeat.delay()
    assert not isinstance(result, EagerResult)
    while health.check_worker_heartbeat()["worker"] != socket.gethostname():
        assert time.monotonic() < deadline, "no worker ran the heartbeat task within 20 s"
        time.sleep(0.05)
    health.record_beat_heartbeat(beat="b1")

    response = client.get(reverse("readyz"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    worker = body["checks"]["worker"]
    assert worker["ok"] is True
    assert 0 <= worker["age_seconds"] < 20


@pytest.mark.django_db
def test_readyz_with_stale_heartbeat_is_unavailable(client, redis_client, settings):
    settings.MALL_HEARTBEAT_MAX_AGE = 120
    health.record_heartbeat(worker="w1", now=time.time() - 121)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False
    assert worker["worker"] == "w1"
    assert worker["age_seconds"] >= 121
    assert "older than 120s" in worker["error"]


@pytest.mark.django_db
def test_readyz_with_fresh_heartbeats_written_directly_is_ok(client, redis_client):
    health.record_heartbeat(worker="w1", now=time.time() - 5)
    health.record_beat_heartbeat(beat="b1", now=time.time() - 5)

    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["worker"]["ok"] is True
    assert (checks["beat"]["ok"], checks["beat"]["beat"]) == (True, "b1")
    assert 5 <= checks["beat"]["age_seconds"] < 30
    assert checks["media"]["ok"] is True
    assert checks["media"]["free_bytes"] > 0


@pytest.mark.django_db
def test_readyz_tells_a_stopped_beat_from_a_missing_worker(client, redis_client):
    # The worker is alive; beat stopped two and a half minutes ago.
    health.record_heartbeat(worker="w1", now=time.time() - 5)
    health.record_beat_heartbeat(beat="b1", now=time.time() - 150)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker"]["ok"] is True
    assert checks["beat"]["ok"] is False
    assert "older than 120s" in checks["beat"]["error"]


@pytest.mark.django_db
def test_readyz_reports_a_media_store_it_cannot_write(client, redis_client, settings, tmp_path):
    health.record_heartbeat(worker="w1")
    health.record_beat_heartbeat(beat="b1")
    # A file where the media folder should be: nothing can be written under it, even by root.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media").write_text("not a folder")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    media = response.json()["checks"]["media"]
    assert media["ok"] is False
    assert "FileExistsError" in media["error"] or "NotADirectoryError" in media["error"]


@pytest.mark.django_db
def test_readyz_with_unreadable_heartbeat_is_unavailable_not_an_error(client, redis_client):
    redis_client.set(health.HEARTBEAT_KEY, b"garbage")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert "unreadable heartbeat" in response.json()["checks"]["worker"]["error"]


@pytest.mark.django_db
def test_readyz_with_redis_unreachable_fails_fast(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    started = time.monotonic()
    response = client.get(reverse("readyz"))
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["redis"]["ok"] is False
    assert "ConnectionError" in checks["redis"]["error"]
    assert checks["worker"]["ok"] is False
    assert elapsed < 5


def test_readyz_accepts_only_get(client):
    assert client.post(reverse("readyz")).status_code == 405


def test_worker_and_beat_stamp_their_own_heartbeats(settings):
    assert "ops.heartbeat:WorkerHeartbeat" in celery_app.steps["consumer"]
    assert celery_app.conf.beat_scheduler == "ops.heartbeat:BeatScheduler"
    # Nothing in beat's schedule stands in for the worker's heartbeat any more.
    assert HEARTBEAT_TASK not in {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert settings.MALL_HEARTBEAT_INTERVAL < settings.MALL_HEARTBEAT_MAX_AGE


@pytest.mark.django_db
def test_health_command_exit_status_follows_the_checks(redis_client, capsys):
    assert health.main(["redis", "worker"]) == 1
    assert "no heartbeat" in capsys.readouterr().out

    health.record_heartbeat(worker="w1")

    assert health.main(["database", "redis", "worker"]) == 0
    assert health.main(["beat"]) == 1
    health.record_beat_heartbeat(beat="b1")
    assert health.main(["beat", "media"]) == 0


@pytest.mark.django_db
def test_readyz_names_a_provider_whose_keys_are_missing_or_expired(
    client, redis_client, settings, tmp_path
):
    from tests.orders import provider_stub as stub_kit

    health.record_heartbeat(worker="w1", now=time.time() - 5)
    health.record_beat_heartbeat(beat="b1", now=time.time() - 5)
    assert client.get(reverse("readyz")).json()["checks"]["providers"]["ok"] is True
    settings.MALL_PAYMENT_PROVIDERS = ["sandbox", "wechatpay"]
    settings.MALL_CARRIERS = ["sandbox", "sfexpress"]
    expired = stub_kit.certificate(stub_kit.new_key(), serial=9, expired=True)
    (tmp_path / "platform.pem").write_bytes(stub_kit.cert_pem(expired))
    settings.MALL_WECHATPAY_PLATFORM_CERT_FILE = str(tmp_path / "platform.pem")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    check = response.json()["checks"]["providers"]
    assert check["ok"] is False and set(check["problems"]) == {"wechatpay", "sfexpress"}
    assert any("expired" in problem for problem in check["problems"]["wechatpay"])
    assert "MALL_WECHATPAY_MCHID is not set" in check["problems"]["wechatpay"]
    assert "MALL_SFEXPRESS_CHECKWORD is not set" in check["problems"]["sfexpress"]
