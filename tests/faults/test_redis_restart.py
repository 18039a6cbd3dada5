"""Fault drill: Redis is killed (SIGKILL) while the worker holds delayed tasks. The
worker stays up and reconnects (kombu 5.7 made it exit: mall/broker.py); the supervisor
starts Redis again on its port, whose append-only file kept the tasks; each delayed task
runs once; the worker's heartbeat is fresh again as soon as it has reconnected."""

import os
import signal
import time

import pytest

from mall.celery import app as celery_app
from ops import devstack
from ops.tasks import record_canary

from .conftest import alive, wait_for

pytestmark = pytest.mark.faults

TOKENS = ("delayed-1", "delayed-2", "delayed-3")


def runs(stack, token) -> int:
    try:
        return stack.redis().llen(f"mall:ops:canary:{token}")
    except OSError:
        return -1


def redis_answers(stack) -> bool:
    try:
        return stack.redis().ping()
    except Exception:
        return False


def test_redis_killed_under_a_worker_holding_delayed_tasks(stack, shop):
    worker = shop.pids()["worker"]
    with celery_app.connection_for_write(stack.redis_url) as connection:
        for token in TOKENS:
            record_canary.apply_async((token,), countdown=3, connection=connection)
    # The worker took them and holds them, unacknowledged, until their time.
    wait_for("the worker holds the delayed tasks", lambda: stack.redis().hlen("unacked") == 3, 15)

    redis_pid = int((stack.state / "redis" / "redis.pid").read_text())
    os.kill(redis_pid, signal.SIGKILL)
    wait_for("Redis is gone", lambda: not redis_answers(stack), timeout=5, interval=0.05)

    # The supervisor starts Redis again, on the same port.
    wait_for("Redis is back", lambda: redis_answers(stack), timeout=15)
    assert "redis is not running; starting it again" in shop.log("supervisor")
    assert devstack.start(stack.state, fast=True)["REDIS_URL"] == stack.redis_url

    # The worker reconnected: the same process, its heartbeat fresh within seconds.
    checks = wait_for(
        "the worker's heartbeat after the restart",
        lambda: (c := shop.readyz()["checks"])["worker"]["ok"] and c,
        timeout=20,
    )
    assert checks["redis"]["ok"] is True
    # Each delayed task comes back after the visibility timeout (6 s here) and runs once.
    wait_for(
        "every delayed task ran",
        lambda: all(runs(stack, token) >= 1 for token in TOKENS),
        timeout=30,
    )
    time.sleep(2)  # longer than a restore sweep: nothing runs a second time
    assert [runs(stack, token) for token in TOKENS] == [1, 1, 1]
    assert shop.pids()["worker"] == worker and alive(worker)
    log = shop.log("worker")
    assert "Unrecoverable error" not in log
    assert "Connected to mall.broker:Transport://" in log
