"""Liveness and readiness probes, and the heartbeats of the Celery worker and beat that
readiness reads.

A worker stamps its heartbeat itself (ops.heartbeat.WorkerHeartbeat, a step of its
consumer) when it connects to the broker and every MALL_HEARTBEAT_INTERVAL seconds; beat
stamps its own from its scheduler (ops.heartbeat.BeatScheduler). Each is reported on its
own, so a stopped beat is never taken for a missing worker, and a worker that reconnects
after a Redis restart is seen at once.

The checks also run from the command line, for container health checks that have no
HTTP endpoint of their own (Celery beat, for instance)::

    python -m ops.health beat            # exit 0 if beat stamped its heartbeat recently
    python -m ops.health database redis  # any of: database, redis, worker, beat, media, providers
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import redis
from django.conf import settings
from django.db import connection

HEARTBEAT_KEY = "mall:ops:worker-heartbeat"
BEAT_HEARTBEAT_KEY = "mall:ops:beat-heartbeat"


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def _stamp(key: str, who: str, now: float | None) -> float:
    stamp = time.time() if now is None else now
    with redis_client() as client:
        client.set(key, f"{stamp}|{who}", ex=settings.MALL_HEARTBEAT_MAX_AGE * 10)
    return stamp


def record_heartbeat(*, worker: str, now: float | None = None) -> float:
    """Store the time a worker was last seen alive; it expires if the workers stop."""
    return _stamp(HEARTBEAT_KEY, worker, now)


def record_beat_heartbeat(*, beat: str, now: float | None = None) -> float:
    """Store the time beat last looked at its schedule."""
    return _stamp(BEAT_HEARTBEAT_KEY, beat, now)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True}


def check_redis() -> dict:
    try:
        with redis_client() as client:
            client.ping()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True}


def _check_heartbeat(key: str, who: str, missing: str, now: float | None) -> dict:
    try:
        with redis_client() as client:
            raw = client.get(key)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if raw is None:
        return {"ok": False, "error": missing}
    stamp, _, name = raw.decode(errors="replace").partition("|")
    try:
        age = round((time.time() if now is None else now) - float(stamp), 1)
    except ValueError:
        return {"ok": False, "error": f"unreadable heartbeat value {raw!r}"}
    result = {"ok": age <= settings.MALL_HEARTBEAT_MAX_AGE, "age_seconds": age, who: name}
    if not result["ok"]:
        result["error"] = f"last heartbeat is older than {settings.MALL_HEARTBEAT_MAX_AGE}s"
    return result


def check_worker_heartbeat(now: float | None = None) -> dict:
    return _check_heartbeat(HEARTBEAT_KEY, "worker", "no heartbeat from any Celery worker yet", now)


def check_beat_heartbeat(now: float | None = None) -> dict:
    return _check_heartbeat(BEAT_HEARTBEAT_KEY, "beat", "no heartbeat from Celery beat yet", now)


def check_media() -> dict:
    """The media store takes a file: one is written, flushed and removed. Uploads fail
    while it cannot (a read-only or full disk); the free space is reported too."""
    root = settings.MEDIA_ROOT
    try:
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-") as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
        free = shutil.disk_usage(root).free
    except OSError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "free_bytes": free}


def check_providers() -> dict:
    """Every payment provider and carrier switched on has its keys and certificates, and
    none has expired (WeChat Pay's platform certificate): a shop that cannot verify a
    notice cannot take money. Reads files only; asks no provider."""
    from orders.carriers import registry as carriers
    from orders.providers import registry as providers

    adapters = {name: providers.PROVIDERS[name] for name in providers.enabled_names()}
    adapters.update({name: carriers.CARRIERS[name] for name in carriers.enabled_names()})
    problems = {name: adapter.key_problems() for name, adapter in adapters.items()}
    problems = {name: found for name, found in problems.items() if found}
    enabled = list(adapters)
    if problems:
        return {"ok": False, "error": "keys missing or expired", "problems": problems}
    return {"ok": True, "enabled": enabled}


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker_heartbeat,
    "beat": check_beat_heartbeat,
    "media": check_media,
    "providers": check_providers,
}


def main(argv: list[str] | None = None) -> int:
    """Run the named checks, print their results as JSON; 0 if all are ok, else 1."""
    parser = argparse.ArgumentParser(prog="python -m ops.health", description=__doc__)
    parser.add_argument("checks", nargs="+", choices=sorted(CHECKS))
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
    django.setup()
    results = {name: CHECKS[name]() for name in args.checks}
    print(json.dumps(results))
    return 0 if all(result["ok"] for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
