"""Liveness and readiness probes, and the worker heartbeat that readiness reads.

The checks also run from the command line, for container health checks that have no
HTTP endpoint of their own (Celery beat, for instance)::

    python -m ops.health worker          # exit 0 if a worker ran the heartbeat recently
    python -m ops.health database redis  # any of: database, redis, worker
"""

import argparse
import json
import sys
import time

import redis
from django.conf import settings
from django.db import connection

HEARTBEAT_KEY = "mall:ops:worker-heartbeat"


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def record_heartbeat(*, worker: str, now: float | None = None) -> float:
    """Store the time a worker last ran a task; it expires if the workers stop."""
    stamp = time.time() if now is None else now
    with redis_client() as client:
        client.set(HEARTBEAT_KEY, f"{stamp}|{worker}", ex=settings.MALL_HEARTBEAT_MAX_AGE * 10)
    return stamp


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


def check_worker_heartbeat(now: float | None = None) -> dict:
    try:
        with redis_client() as client:
            raw = client.get(HEARTBEAT_KEY)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if raw is None:
        return {"ok": False, "error": "no heartbeat from any Celery worker yet"}
    stamp, _, worker = raw.decode(errors="replace").partition("|")
    try:
        age = round((time.time() if now is None else now) - float(stamp), 1)
    except ValueError:
        return {"ok": False, "error": f"unreadable heartbeat value {raw!r}"}
    result = {"ok": age <= settings.MALL_HEARTBEAT_MAX_AGE, "age_seconds": age, "worker": worker}
    if not result["ok"]:
        result["error"] = f"last heartbeat is older than {settings.MALL_HEARTBEAT_MAX_AGE}s"
    return result


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker_heartbeat,
}


def main(argv: list[str] | None = None) -> int:
    """Run the named checks, print their results as JSON; 0 if all are ok, else 1."""
    parser = argparse.ArgumentParser(prog="python -m ops.health", description=__doc__)
    parser.add_argument("checks", nargs="+", choices=sorted(CHECKS))
    args = parser.parse_args(argv)

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
    django.setup()
    results = {name: CHECKS[name]() for name in args.checks}
    print(json.dumps(results))
    return 0 if all(result["ok"] for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
