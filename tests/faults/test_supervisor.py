"""Fault drill: the worker and beat die under a running shop; the supervisor that
bin/shop uses starts them again and says why. Beat frozen is reported as beat, not as
the worker."""

import os
import signal
import time

import pytest

from mall.celery import app as celery_app
from ops.tasks import record_canary

from .conftest import alive, wait_for

pytestmark = pytest.mark.faults


def canary_runs(stack, token) -> int:
    return stack.redis().llen(f"mall:ops:canary:{token}")


def test_a_killed_worker_is_started_again_and_runs_tasks(stack, shop):
    before = shop.pids()
    os.kill(before["worker"], signal.SIGKILL)

    pids = wait_for(
        "a new worker",
        lambda: (p := shop.pids()).get("worker") not in (None, before["worker"]) and p,
        timeout=15,
    )
    assert alive(pids["worker"])
    assert pids["web"] == before["web"] and pids["beat"] == before["beat"]
    log = shop.log("supervisor")
    assert "worker was killed by SIGKILL" in log
    assert "starting it again in 1 s" in log

    # The new worker takes tasks.
    with celery_app.connection_for_write(stack.redis_url) as connection:
        record_canary.apply_async(("after-restart",), connection=connection)
    wait_for("the new worker ran a task", lambda: canary_runs(stack, "after-restart"), 30)
    wait_for("/readyz green again", lambda: shop.readyz()["http_status"] == 200, timeout=15)


def test_a_frozen_beat_is_reported_as_beat_and_a_dead_one_restarted(shop):
    beat = shop.pids()["beat"]
    os.kill(beat, signal.SIGSTOP)
    try:
        # The worker's heartbeat stays fresh; beat's ages past MALL_HEARTBEAT_MAX_AGE (4 s).
        checks = wait_for(
            "/readyz says beat is stale",
            lambda: not (c := shop.readyz()["checks"])["beat"]["ok"] and c,
            timeout=15,
        )
        assert checks["worker"]["ok"] is True
        assert "older than 4s" in checks["beat"]["error"]
    finally:
        os.kill(beat, signal.SIGCONT)

    os.kill(beat, signal.SIGKILL)
    wait_for(
        "a new beat",
        lambda: shop.pids().get("beat") not in (None, beat) and alive(shop.pids().get("beat")),
        timeout=15,
    )
    assert "beat was killed by SIGKILL" in shop.log("supervisor")
    started = time.monotonic()
    wait_for("beat's heartbeat fresh again", lambda: shop.readyz()["checks"]["beat"]["ok"], 20)
    assert time.monotonic() - started < 20
