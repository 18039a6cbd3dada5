"""Liveness and readiness probes, and the worker heartbeat that readiness reads."""

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
    redis_client().set(
        HEARTBEAT_KEY, f"{stamp}|{worker}", ex=settings.MALL_HEARTBEAT_MAX_AGE * 10
    )
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
        redis_client().ping()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True}


def check_worker_heartbeat(now: float | None = None) -> dict:
    try:
        raw = redis_client().get(HEARTBEAT_KEY)
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    if raw is None:
        return {"ok": False, "error": "no heartbeat from any Celery worker yet"}
    stamp, _, worker = raw.decode().partition("|")
    age = round((time.time() if now is None else now) - float(stamp), 1)
    result = {"ok": age <= settings.MALL_HEARTBEAT_MAX_AGE, "age_seconds": age, "worker": worker}
    if not result["ok"]:
        result["error"] = f"last heartbeat is older than {settings.MALL_HEARTBEAT_MAX_AGE}s"
    return result
