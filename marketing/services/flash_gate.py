"""The Redis gate of flash sales: atomic Lua scripts that hand out a sale's units before
anything reaches PostgreSQL (see ``marketing.services.flashsales`` for the whole path).

Keys per sale (the braces keep one sale on one cluster slot):

    mall:flash-sale:{<id>}:left      units the gate may still hand out
    mall:flash-sale:{<id>}:holders   hash: shopper id -> "<units> <idempotency key>"
    mall:flash-sale:{<id>}:sale      hash: what an attempt needs of the sale's row (its SKU,
                                     price, units, limit and times), so that a refused
                                     attempt is answered without PostgreSQL

One redis-py client (one connection pool) per process, from ``settings.REDIS_URL``; the
scripts are registered on it once (``register_script``: EVALSHA, re-sent after a Redis
restart). Every function here treats Redis as a cache of the database: a missing key is
primed from it, a Redis error is logged and answered as "unavailable".
"""

import datetime
import decimal
import logging
import threading
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from catalog.models import SKU
from catalog.services import inventory

from ..models import FlashSale, FlashSaleClaim

logger = logging.getLogger("marketing.flashsales")

GATE_REDIS = "redis"
GATE_OFF = "off"
# Gate keys outlive their sale by a day: releases after the end still find them, then
# Redis drops them by itself.
KEY_GRACE = datetime.timedelta(days=1)


# KEYS: left, holders. ARGV: shopper, units, limit, idempotency key.
# -> {"ok", left after} | {"unprimed", 0} | {"limit", units held, holder's key} | {"short", left}
# A holder is "<units> <idempotency key>": what the shopper holds and by which submit, so
# a repeated submit is told apart from a second purchase.
GATE_LUA = """
local left = redis.call('GET', KEYS[1])
if not left then return {'unprimed', 0} end
left = tonumber(left)
local units = tonumber(ARGV[2])
local holder = redis.call('HGET', KEYS[2], ARGV[1])
if holder then
  local held, key = string.match(holder, '^(%d+) (.*)$')
  return {'limit', tonumber(held) or 1, key or ''}
end
if units > tonumber(ARGV[3]) then return {'limit', 0, ''} end
if left < units then return {'short', left} end
redis.call('DECRBY', KEYS[1], units)
redis.call('HSET', KEYS[2], ARGV[1], units .. ' ' .. ARGV[4])
return {'ok', left - units}
"""

# KEYS: left, holders. ARGV: force (1 = overwrite), left, ttl seconds, then shopper/holder
# pairs. Priming (force 0) writes only while ``left`` is missing: concurrent primers agree.
LOAD_LUA = """
if ARGV[1] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
"""

# KEYS: left, holders. ARGV: shopper, units back to ``left``, which hold to drop: '' none,
# '*' whatever it is, else only the hold taken with that idempotency key.
# Nothing happens while ``left`` is missing: the next priming reads the database instead.
GIVE_BACK_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local back = tonumber(ARGV[2])
if back > 0 then redis.call('INCRBY', KEYS[1], back) end
if ARGV[3] == '*' then
  redis.call('HDEL', KEYS[2], ARGV[1])
elseif ARGV[3] ~= '' then
  local holder = redis.call('HGET', KEYS[2], ARGV[1])
  if holder and string.match(holder, '^%d+ (.*)$') == ARGV[3] then
    redis.call('HDEL', KEYS[2], ARGV[1])
  end
end
return 1
"""

ANY_HOLD = "*"


class _Redis:
    """One redis-py client (one connection pool) per process with the scripts registered
    once; redis-py re-sends a script that a restarted Redis has forgotten."""

    def __init__(self):
        self._lock = threading.Lock()
        self._url = None
        self.client = None

    def get(self):
        url = settings.REDIS_URL
        if self.client is None or self._url != url:
            with self._lock:
                if self.client is None or self._url != url:
                    client = redis.Redis.from_url(
                        url,
                        socket_timeout=settings.MALL_FLASH_SALE_REDIS_TIMEOUT,
                        socket_connect_timeout=settings.MALL_FLASH_SALE_REDIS_TIMEOUT,
                        health_check_interval=30,
                    )
                    self.gate = client.register_script(GATE_LUA)
                    self.load = client.register_script(LOAD_LUA)
                    self.give_back = client.register_script(GIVE_BACK_LUA)
                    self._url, self.client = url, client
        return self


_redis = _Redis()


def gate_enabled() -> bool:
    mode = settings.MALL_FLASH_SALE_GATE
    if mode not in (GATE_REDIS, GATE_OFF):
        raise ImproperlyConfigured(f"MALL_FLASH_SALE_GATE must be 'redis' or 'off', not {mode!r}")
    return mode == GATE_REDIS


def gate_keys(sale_id: int) -> list[str]:
    return [f"mall:flash-sale:{{{sale_id}}}:left", f"mall:flash-sale:{{{sale_id}}}:holders"]


@dataclass(frozen=True)
class GateAnswer:
    verdict: str  # ok | limit | short | unavailable (Redis unreachable)
    value: int = 0  # units left (ok, short) or held (limit)
    holder_key: str = ""  # limit: the idempotency key the shopper's hold was taken with


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ttl(sale: FlashSale, now=None) -> int:
    now = now or timezone.now()
    return max(int((sale.ends_at + KEY_GRACE - now).total_seconds()), 60)


def _database_view(sale: FlashSale) -> tuple[int, list[tuple[int, str]]]:
    """What the gate should hold for ``sale`` by the database: units it may hand out
    (unclaimed, and no more than the free stock) and a hold per shopper with a live claim.
    Two queries; the claims are read in one, so ``left`` and the holds agree."""
    claims = list(
        FlashSaleClaim.objects.filter(flash_sale_id=sale.pk, released=False).values_list(
            "user_id", "quantity", "order__idempotency_key"
        )
    )
    claimed = sum(quantity for _user, quantity, _key in claims)
    free = inventory.available_units(SKU(pk=sale.sku_id))
    holders = [(user, f"{quantity} {key or '-'}") for user, quantity, key in claims]
    return max(min(sale.quantity - claimed, free), 0), holders


def load_gate(sale: FlashSale, *, force: bool) -> bool:
    """Write the gate of ``sale`` from the database: only while its keys are missing
    (priming), or over whatever it holds (``force``, reconciliation). True if written."""
    left, holders = _database_view(sale)
    pairs = [str(value) for holder in holders for value in holder]
    wrote = _redis.get().load(keys=gate_keys(sale.pk), args=[int(force), left, _ttl(sale), *pairs])
    return bool(wrote)


def pass_gate(*, sale: FlashSale, user, quantity: int, idempotency_key: str) -> GateAnswer:
    """Take ``quantity`` units of ``sale`` for ``user`` in Redis, atomically: only while
    that many are left, the shopper holds none yet and ``quantity`` is within the limit.
    Primes the keys from the database when they are missing. Answers ``unavailable`` when
    Redis cannot be reached (the caller goes to the database)."""
    keys = gate_keys(sale.pk)
    args = [user.pk, int(quantity), sale.per_shopper_limit, idempotency_key]
    try:
        handle = _redis.get()
        for _attempt in range(2):
            verdict, value, *holder = handle.gate(keys=keys, args=args)
            verdict = _text(verdict)
            if verdict != "unprimed":
                return GateAnswer(verdict, int(value), _text(holder[0]) if holder else "")
            load_gate(sale, force=False)
        return GateAnswer("unavailable")  # primed, and gone again at once: Redis evicts
    except redis.RedisError as error:
        logger.warning(
            "flash-sale gate unavailable, going to the database",
            extra={"flash_sale": sale.pk, "error": str(error)},
        )
        return GateAnswer("unavailable")


def give_back(*, sale_id: int, user_id: int, units: int, hold: str) -> None:
    """Return ``units`` to the gate's counter and drop the shopper's hold (``hold``: the
    idempotency key it was taken with, ``ANY_HOLD``, or "" to keep it), if the keys exist.
    A failure is logged: ``reconcile`` repairs the counter."""
    try:
        _redis.get().give_back(keys=gate_keys(sale_id), args=[user_id, int(units), hold])
    except redis.RedisError as error:
        logger.error(
            "flash-sale gate not compensated; reconcile will repair it",
            extra={"flash_sale": sale_id, "user": user_id, "units": units, "error": str(error)},
        )


def gate_counters(sale_ids) -> dict[int, int | None]:
    """The gate's ``left`` counter per sale (``None``: not primed, or Redis unreachable),
    in one round trip: for the operators' list."""
    sale_ids = list(sale_ids)
    if not sale_ids:
        return {}
    try:
        values = _redis.get().client.mget([gate_keys(pk)[0] for pk in sale_ids])
    except redis.RedisError:
        return dict.fromkeys(sale_ids)
    return {
        pk: int(value) if value is not None else None
        for pk, value in zip(sale_ids, values, strict=True)
    }


# What ``keep_sale`` writes of a sale, in the model's field order (``from_db`` wants it).
SALE_FIELDS = ("id", "sku_id", "price", "quantity", "per_shopper_limit", "starts_at", "ends_at")
_SALE_TYPES = {
    "id": int,
    "sku_id": int,
    "price": decimal.Decimal,
    "quantity": int,
    "per_shopper_limit": int,
    "starts_at": datetime.datetime.fromisoformat,
    "ends_at": datetime.datetime.fromisoformat,
}


def sale_key(sale_id: int) -> str:
    return f"mall:flash-sale:{{{sale_id}}}:sale"


def keep_sale(sale: FlashSale) -> None:
    """Write what a buy attempt needs of ``sale`` to Redis, for as long as its gate keys
    live. Written when an attempt first reads the sale from the database and by
    ``reconcile``; dropped (``forget_sale``) when an operator ends or calls it off. A
    failure is logged: attempts then read the database."""
    values = {
        name: value.isoformat() if isinstance(value, datetime.datetime) else str(value)
        for name in SALE_FIELDS
        if (value := getattr(sale, name)) is not None
    }
    try:
        pipe = _redis.get().client.pipeline(transaction=True)
        pipe.hset(sale_key(sale.pk), mapping=values)
        pipe.expire(sale_key(sale.pk), _ttl(sale))
        pipe.execute()
    except redis.RedisError as error:
        logger.warning(
            "flash sale not kept in Redis", extra={"flash_sale": sale.pk, "error": str(error)}
        )


def kept_sale(sale_id: int) -> FlashSale | None:
    """The sale as ``keep_sale`` wrote it (its other fields deferred: reading one queries
    the database), or ``None``: not kept, or Redis unreachable. One round trip."""
    try:
        values = _redis.get().client.hgetall(sale_key(sale_id))
    except redis.RedisError:
        return None
    values = {_text(name): _text(value) for name, value in values.items()}
    if set(values) != set(SALE_FIELDS):
        return None
    return FlashSale.from_db(
        DEFAULT_DB_ALIAS, SALE_FIELDS, [_SALE_TYPES[name](values[name]) for name in SALE_FIELDS]
    )


def forget_sale(sale_id: int) -> None:
    """Drop what ``keep_sale`` wrote: the next attempt reads the sale from the database."""
    try:
        _redis.get().client.delete(sale_key(sale_id))
    except redis.RedisError as error:
        logger.warning(
            "flash sale kept in Redis not dropped",
            extra={"flash_sale": sale_id, "error": str(error)},
        )


def drop_gate(sale_id: int) -> None:
    """Forget a sale's gate keys: the next attempt primes them from the database."""
    try:
        _redis.get().client.delete(*gate_keys(sale_id))
    except redis.RedisError as error:
        logger.warning(
            "flash-sale gate keys not dropped", extra={"flash_sale": sale_id, "error": str(error)}
        )
