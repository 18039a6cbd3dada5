"""Collecting events: the sink registered on ``mall.tracking`` and the beacon's entry,
both ending in one Redis list the ingestion job empties into PostgreSQL.

Nothing here may slow or break a page. An event is pushed after the transaction that
recorded it commits (a rolled-back order leaves no "order placed"), with one Redis round
trip (a Lua script) and a short timeout; when Redis fails, collection pauses for
``PAUSE_SECONDS`` so that every later page does not wait on it too, and the events of
that time are lost (the data-quality job shows the gap against the orders).

The script also drops what should not be stored: an event id seen in the last day (a
retried beacon) and a visitor's events beyond ``MALL_ANALYTICS_MAX_EVENTS_PER_MINUTE``
(a robot that hides its name still cannot browse faster than a person).
"""

import datetime
import json
import logging
import threading
import time
import uuid
from decimal import Decimal

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .visits import current_visit

logger = logging.getLogger("analytics.collection")

QUEUE_KEY = "mall:analytics:events"
SEEN_PREFIX = "mall:analytics:seen:"
RATE_PREFIX = "mall:analytics:rate:"
SEEN_SECONDS = 24 * 3600
PAUSE_SECONDS = 10

# What a visitor does: counted only for visits that may be counted.
BEHAVIOUR = {
    "page_view",
    "product_view",
    "category_view",
    "search",
    "cart_add",
    "cart_remove",
    "checkout_start",
    "recommendation_impression",
    "recommendation_click",
}
# What the shop's books say happened: always kept (an order is an order, whoever placed
# it); the visit is stamped on it only when it may be counted.
TRANSACTION = {"order_placed", "order_paid", "order_refunded", "coupon_claimed"}
EVENT_NAMES = BEHAVIOUR | TRANSACTION

# KEYS: queue, seen key, rate key ('' for none). ARGV: event JSON, seen ttl, limit, window.
# -> 1 queued, 0 a repeat, -1 over the visitor's rate.
PUSH_LUA = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) == false then return 0 end
if KEYS[3] ~= '' then
  local n = redis.call('INCR', KEYS[3])
  if n == 1 then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
  if n > tonumber(ARGV[3]) then return -1 end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
"""

_lock = threading.Lock()
_client: redis.Redis | None = None
_script = None
_paused_until = 0.0


def client() -> redis.Redis:
    """One redis-py client per process, with the short timeouts collection needs."""
    global _client, _script
    with _lock:
        if _client is None:
            timeout = settings.MALL_ANALYTICS_REDIS_TIMEOUT
            _client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            _script = _client.register_script(PUSH_LUA)
        return _client


def reset_client() -> None:
    """Forget the client and any pause (tests that point REDIS_URL elsewhere)."""
    global _client, _script, _paused_until
    with _lock:
        _client, _script, _paused_until = None, None, 0.0


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-friendly")


def push(event: dict) -> int:
    """Queue one event dict (``id``, ``at``, ``name``, ...); returns 1 when queued, 0 for a
    repeated id, -1 over the visitor's rate, None when Redis failed or collection is
    paused. Never raises."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return None
    try:
        client()
        rate_key = ""
        if event.get("visitor") and event["name"] in BEHAVIOUR:
            rate_key = RATE_PREFIX + event["visitor"]
        return int(
            _script(
                keys=[QUEUE_KEY, SEEN_PREFIX + event["id"], rate_key],
                args=[
                    json.dumps(event, default=_json_value, ensure_ascii=False),
                    SEEN_SECONDS,
                    settings.MALL_ANALYTICS_MAX_EVENTS_PER_MINUTE,
                    60,
                ],
            )
        )
    except (redis.RedisError, OSError):
        _paused_until = time.monotonic() + PAUSE_SECONDS
        logger.warning("analytics events paused: Redis did not answer", exc_info=True)
        return None


FIELDS = ("user", "product", "category", "sku", "order", "quantity", "amount", "results")


def build_event(name: str, properties: dict, *, visit=None, source: str = "server") -> dict:
    """The queued form of an event: its id (``event_id`` from the properties, else a new
    one), the time now, the visit's ids and campaign, and the known fields; anything else
    goes to ``props``."""
    properties = dict(properties)
    event = {
        "id": str(properties.pop("event_id", None) or uuid.uuid4().hex),
        "at": timezone.now().isoformat(),
        "name": name,
        "source": source,
    }
    if visit is not None:
        event.update(
            visitor=visit.visitor_id,
            session=visit.session_id,
            user=visit.user_id,
            utm_source=visit.utm_source,
            utm_medium=visit.utm_medium,
            utm_campaign=visit.utm_campaign,
            referrer=visit.referrer_host,
        )
    for key in FIELDS:
        value = properties.pop(key, properties.pop(f"{key}_id", None))
        if value is not None:
            event[key] = value
    if "term" in properties:
        event["term"] = str(properties.pop("term"))[:100]
    if properties:
        event["props"] = properties
    return event


def collect(name: str, properties: dict) -> None:
    """The ``mall.tracking`` sink: stamp the current visit on the event and queue it once
    the transaction commits. Behaviour of a visit that may not be counted (staff, robots,
    no consent) and of no visit at all is dropped; transactions are always kept."""
    if not settings.MALL_ANALYTICS_COLLECT or name not in EVENT_NAMES:
        return
    visit = current_visit()
    counted = visit is not None and not visit.excluded
    if name in BEHAVIOUR and not counted:
        return
    if counted:
        visit.used = True
    event = build_event(name, properties, visit=visit if counted else None)
    transaction.on_commit(lambda: push(event), robust=True)
