"""Ingestion: the events queued in Redis, bulk-written into ``analytics_event`` (a table
partitioned by month), and the retention that drops old months.

One ingester at a time (a Redis lock). It moves a batch from the queue to a processing
list in one atomic step, writes the batch with a multi-row INSERT ... ON CONFLICT DO
NOTHING, and only then forgets the processing list: a worker killed in between leaves the
batch there, the next run writes it again, and the event ids (the table's key with the
time) keep every event once.
"""

import datetime
import json
import logging
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg2.extras import execute_values

from orders.models import Order

from ..models import OrderAttribution
from . import collection

logger = logging.getLogger("analytics.ingestion")

PROCESSING_KEY = "mall:analytics:events:processing"
LOCK_KEY = "mall:analytics:ingest:lock"
LOCK_SECONDS = 300
BATCH_SIZE = 1000

# KEYS: queue, processing. ARGV: batch size. Moves up to ARGV[1] events, oldest first.
TAKE_LUA = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('RPUSH', KEYS[2], unpack(items))
end
return #items
"""

COLUMNS = (
    "event_id", "occurred_at", "name", "source", "visitor_id", "session_id", "user_id",
    "product_id", "category_id", "sku_id", "order_id", "quantity", "amount", "search_term",
    "result_count", "utm_source", "utm_medium", "utm_campaign", "referrer_host", "properties",
)  # fmt: skip


def _month_start(moment: datetime.datetime) -> datetime.date:
    local = timezone.localtime(moment)
    return datetime.date(local.year, local.month, 1)


def _next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def partition_name(month: datetime.date) -> str:
    return f"analytics_event_y{month.year}m{month.month:02d}"


def ensure_partition(month: datetime.date) -> None:
    """Create the partition of ``month`` (shop time: a day's events stay in one) if it
    is missing (one cheap statement per month of a batch, so that a partition dropped by
    another process is never believed to exist)."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(month, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(_next_month(month), datetime.time(), tzinfo=tz)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(month)} "
            "PARTITION OF analytics_event FOR VALUES FROM (%s) TO (%s)",
            [start, end],
        )


def _int(value):
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _row(item: bytes):
    """The table row of one queued event, or ``None`` for one that cannot be read."""
    try:
        event = json.loads(item)
        event_id = uuid.UUID(str(event["id"]))
        occurred_at = parse_datetime(event["at"])
        name = str(event["name"])[:40]
        amount = event.get("amount")
        amount = None if amount is None else Decimal(str(amount)).quantize(Decimal("0.01"))
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return None
    if occurred_at is None or name not in collection.EVENT_NAMES:
        return None
    text = lambda key, limit: str(event.get(key) or "")[:limit]  # noqa: E731
    return (
        event_id, occurred_at, name, text("source", 10) or "server", text("visitor", 32),
        text("session", 32), _int(event.get("user")), _int(event.get("product")),
        _int(event.get("category")), _int(event.get("sku")), _int(event.get("order")),
        _int(event.get("quantity")), amount, text("term", 100), _int(event.get("results")),
        text("utm_source", 100), text("utm_medium", 100), text("utm_campaign", 100),
        text("referrer", 200), json.dumps(event.get("props") or {}, ensure_ascii=False),
    )  # fmt: skip


# The column names are this module's constants, not input.
INSERT_SQL = (
    f"INSERT INTO analytics_event ({', '.join(COLUMNS)}) VALUES %s "  # noqa: S608
    "ON CONFLICT DO NOTHING RETURNING 1"
)


def write_events(items: list[bytes]) -> int:
    """Insert the queued events ``items`` (JSON) in one transaction; returns how many rows
    are new. Unreadable items are logged and skipped; repeated ids are skipped by the key.
    An order's campaign is stamped beside it (``OrderAttribution``) from its event."""
    rows = [row for row in map(_row, items) if row is not None]
    if len(rows) < len(items):
        logger.warning("skipped %d unreadable analytics events", len(items) - len(rows))
    if not rows:
        return 0
    with transaction.atomic():
        for month in {_month_start(row[1]) for row in rows}:
            ensure_partition(month)
        with connection.cursor() as cursor:
            inserted = execute_values(
                cursor,
                INSERT_SQL,
                rows,
                page_size=BATCH_SIZE,
                fetch=True,
            )
        _attribute_orders(rows)
    return len(inserted)


def _attribute_orders(rows) -> None:
    placed = {row[10]: row for row in rows if row[2] == "order_placed" and row[10] and row[4]}
    if not placed:
        return
    existing = set(Order.objects.filter(pk__in=placed).values_list("pk", flat=True))
    OrderAttribution.objects.bulk_create(
        [
            OrderAttribution(
                order_id=order_id,
                visitor_id=row[4],
                session_id=row[5],
                utm_source=row[15],
                utm_medium=row[16],
                utm_campaign=row[17],
                referrer_host=row[18],
            )
            for order_id, row in placed.items()
            if order_id in existing
        ],
        ignore_conflicts=True,
    )


def ingest_events(*, max_batches: int = 50, batch_size: int = BATCH_SIZE) -> int:
    """Write queued events into PostgreSQL, at most ``max_batches`` batches per run (the
    schedule comes back for the rest); returns how many rows were new. Does nothing
    while another run holds the lock. A batch left by a run that died is written first."""
    redis = collection.client()
    token = uuid.uuid4().hex
    if not redis.set(LOCK_KEY, token, nx=True, ex=LOCK_SECONDS):
        return 0
    take = redis.register_script(TAKE_LUA)
    written = 0
    try:
        for _batch in range(max_batches):
            queue = [collection.QUEUE_KEY, PROCESSING_KEY]
            if not redis.llen(PROCESSING_KEY) and not take(keys=queue, args=[batch_size]):
                break
            written += write_events(redis.lrange(PROCESSING_KEY, 0, -1))
            redis.delete(PROCESSING_KEY)
    finally:
        if redis.get(LOCK_KEY) == token.encode():
            redis.delete(LOCK_KEY)
    return written


def event_partitions() -> list[datetime.date]:
    """The months that have a partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
            "JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE parent.relname = 'analytics_event'"
        )
        names = [name for (name,) in cursor.fetchall()]
    months = []
    for name in names:
        try:
            year, month = name.removeprefix("analytics_event_y").split("m")
            months.append(datetime.date(int(year), int(month), 1))
        except ValueError:
            continue
    return sorted(months)


def drop_expired_partitions(*, today: datetime.date | None = None, facts_built=None) -> list:
    """Drop the partitions of months that ended more than
    ``MALL_ANALYTICS_EVENT_RETENTION_MONTHS`` ago, but only once every day of such a month
    has its facts built (``facts_built(first_day, last_day) -> bool``): the facts are
    what outlives the events. Returns the months dropped."""
    today = today or timezone.localdate()
    keep = settings.MALL_ANALYTICS_EVENT_RETENTION_MONTHS
    first_kept = today.year * 12 + today.month - 1 - keep
    cutoff = datetime.date(first_kept // 12, first_kept % 12 + 1, 1)
    dropped = []
    for month in event_partitions():
        if month >= cutoff:
            break
        last_day = _next_month(month) - datetime.timedelta(days=1)
        if facts_built is not None and not facts_built(month, last_day):
            logger.warning("event partition %s kept: its facts are not all built", month)
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE analytics_event DETACH PARTITION {partition_name(month)}")
            cursor.execute(f"DROP TABLE {partition_name(month)}")
        dropped.append(month)
    return dropped
