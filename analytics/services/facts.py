"""Daily facts, built by SQL from the events (and the orders table for who ordered
before). A day is rebuilt whole in one transaction (its rows deleted, then inserted from
one statement per fact table), so building a day again gives the same rows, and a reader
sees either the old day or the new one.

The day's events are read once: copied into a temporary table (with the visitors who ran
the beacon, their behaviour and the first "order placed" of each order beside it,
analysed), which the four fact statements then read instead of scanning the partition
four times. The temporary tables live only inside the build's transaction.

People, not robots: behaviour counts only visitors whose pages ran the beacon that day (a
robot that does not run JavaScript never sends one). Orders, payments and refunds count
whoever made them.
"""

import datetime
import logging

from django.db import connection, transaction
from django.utils import timezone

from ..models import DailyChannelFact, DailyKpi, DailyProductFact, DailySlotFact
from . import ingestion

logger = logging.getLogger("analytics.facts")

# Days rebuilt at most per run of the job (the backfill command has no limit).
MAX_DAYS_PER_RUN = 400

# The day's events and what every fact statement derives from them, made once a build.
_DAY_TABLES = ("facts_ev", "facts_people", "facts_behaviour", "facts_placed")
DAY_TABLES_SQL = (
    """CREATE TEMPORARY TABLE facts_ev ON COMMIT DROP AS
    SELECT * FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s""",
    """CREATE TEMPORARY TABLE facts_people ON COMMIT DROP AS
    SELECT DISTINCT visitor_id FROM facts_ev WHERE source = 'beacon' AND visitor_id <> ''""",
    """CREATE TEMPORARY TABLE facts_behaviour ON COMMIT DROP AS
    SELECT ev.* FROM facts_ev ev JOIN facts_people USING (visitor_id)""",
    """CREATE TEMPORARY TABLE facts_placed ON COMMIT DROP AS
    SELECT DISTINCT ON (order_id) * FROM facts_ev
    WHERE name = 'order_placed' AND order_id IS NOT NULL ORDER BY order_id, occurred_at""",
    "ANALYZE " + ", ".join(_DAY_TABLES),
)
# Inside a test's (or a backfill's) outer transaction ON COMMIT comes late: drop them too.
DROP_DAY_TABLES_SQL = "DROP TABLE IF EXISTS " + ", ".join(_DAY_TABLES)

_DAY_EVENTS = """
WITH ev AS NOT MATERIALIZED (SELECT * FROM facts_ev),
people AS NOT MATERIALIZED (SELECT * FROM facts_people),
behaviour AS NOT MATERIALIZED (SELECT * FROM facts_behaviour),
placed AS NOT MATERIALIZED (SELECT * FROM facts_placed)
"""

KPI_SQL = (
    _DAY_EVENTS  # noqa: S608 (constants, no input)
    + """,
firsts AS (
    SELECT user_id, min(placed_at) AS first_at FROM orders_order
    WHERE user_id IN (SELECT user_id FROM placed) GROUP BY user_id
),
customers AS (
    SELECT p.user_id, bool_or(f.first_at >= %(start)s) AS new
    FROM placed p JOIN firsts f USING (user_id) GROUP BY p.user_id
)
INSERT INTO analytics_dailykpi (
    day, visitors, sessions, page_views, product_views, searches, cart_adds, checkouts,
    converted_sessions, orders, units, gmv, paid_orders, paid_revenue, refunds,
    refund_amount, customers, new_customers, returning_customers, built_at
)
SELECT
    %(day)s,
    (SELECT count(*) FROM people),
    (SELECT count(DISTINCT session_id) FROM behaviour),
    (SELECT count(*) FROM behaviour WHERE name = 'page_view'),
    (SELECT count(*) FROM behaviour WHERE name = 'product_view'),
    (SELECT count(*) FROM behaviour WHERE name = 'search'),
    (SELECT count(*) FROM behaviour WHERE name = 'cart_add'),
    (SELECT count(*) FROM behaviour WHERE name = 'checkout_start'),
    (SELECT count(DISTINCT session_id) FROM placed
     WHERE session_id IN (SELECT session_id FROM behaviour)),
    (SELECT count(*) FROM placed),
    (SELECT coalesce(sum(quantity), 0) FROM placed),
    (SELECT coalesce(sum(amount), 0) FROM placed),
    (SELECT count(DISTINCT order_id) FROM ev WHERE name = 'order_paid'),
    (SELECT coalesce(sum(amount), 0) FROM ev WHERE name = 'order_paid'),
    (SELECT count(*) FROM ev WHERE name = 'order_refunded'),
    (SELECT coalesce(sum(amount), 0) FROM ev WHERE name = 'order_refunded'),
    (SELECT count(*) FROM customers),
    (SELECT count(*) FROM customers WHERE new),
    (SELECT count(*) FROM customers WHERE NOT new),
    %(now)s
"""
)

PRODUCT_SQL = (
    _DAY_EVENTS  # noqa: S608 (constants, no input)
    + """,
views AS (
    SELECT product_id, count(*) AS n FROM behaviour
    WHERE name = 'product_view' AND product_id IS NOT NULL GROUP BY product_id
),
carts AS (
    SELECT s.product_id, count(*) AS n FROM behaviour b JOIN catalog_sku s ON s.id = b.sku_id
    WHERE b.name = 'cart_add' GROUP BY s.product_id
),
lines AS (
    SELECT (line->>1)::bigint AS product_id, count(DISTINCT p.order_id) AS orders,
           sum((line->>2)::integer) AS units, sum((line->>3)::numeric) AS gmv
    FROM placed p, jsonb_array_elements(p.properties->'lines') AS line
    GROUP BY 1
),
ids AS (
    SELECT product_id FROM views UNION SELECT product_id FROM carts
    UNION SELECT product_id FROM lines
)
INSERT INTO analytics_dailyproductfact
    (day, product_id, category_id, views, cart_adds, orders, units, gmv)
SELECT %(day)s, ids.product_id, product.category_id, coalesce(views.n, 0),
       coalesce(carts.n, 0), coalesce(lines.orders, 0), coalesce(lines.units, 0),
       coalesce(lines.gmv, 0)
FROM ids
LEFT JOIN views USING (product_id)
LEFT JOIN carts USING (product_id)
LEFT JOIN lines USING (product_id)
LEFT JOIN catalog_product product ON product.id = ids.product_id
"""
)

CHANNEL_SQL = (
    _DAY_EVENTS  # noqa: S608 (constants, no input)
    + """,
visits AS (
    SELECT DISTINCT ON (session_id) session_id, visitor_id,
           coalesce(nullif(utm_source, ''), nullif(referrer_host, ''), 'direct') AS channel
    FROM behaviour ORDER BY session_id, occurred_at
),
traffic AS (
    SELECT channel, count(DISTINCT visitor_id) AS visitors, count(*) AS sessions
    FROM visits GROUP BY channel
),
sales AS (
    SELECT coalesce(nullif(utm_source, ''), nullif(referrer_host, ''), 'direct') AS channel,
           count(*) AS orders, sum(amount) AS gmv
    FROM placed GROUP BY 1
)
INSERT INTO analytics_dailychannelfact (day, channel, visitors, sessions, orders, gmv)
SELECT %(day)s, channel, coalesce(traffic.visitors, 0), coalesce(traffic.sessions, 0),
       coalesce(sales.orders, 0), coalesce(sales.gmv, 0)
FROM traffic FULL JOIN sales USING (channel)
"""
)


# A slot's orders: orders placed later in the same session as a click in the slot, that
# bought the clicked product (one order counts once per slot, however many clicks).
SLOT_SQL = (
    _DAY_EVENTS  # noqa: S608 (constants, no input)
    + """,
shown AS (
    SELECT left(properties->>'slot', 100) AS slot,
           count(*) FILTER (WHERE name = 'recommendation_impression') AS impressions,
           count(*) FILTER (WHERE name = 'recommendation_click') AS clicks
    FROM behaviour
    WHERE name IN ('recommendation_impression', 'recommendation_click')
      AND coalesce(properties->>'slot', '') <> ''
    GROUP BY 1
),
clicked AS (
    SELECT left(properties->>'slot', 100) AS slot, session_id, product_id,
           min(occurred_at) AS first_at
    FROM behaviour
    WHERE name = 'recommendation_click' AND product_id IS NOT NULL
      AND coalesce(properties->>'slot', '') <> '' AND session_id <> ''
    GROUP BY 1, 2, 3
),
followed AS (
    SELECT c.slot, count(DISTINCT p.order_id) AS orders
    FROM clicked c
    JOIN placed p ON p.session_id = c.session_id AND p.occurred_at >= c.first_at
    WHERE EXISTS (
        SELECT 1 FROM jsonb_array_elements(p.properties->'lines') AS line
        WHERE (line->>1)::bigint = c.product_id
    )
    GROUP BY c.slot
)
INSERT INTO analytics_dailyslotfact (day, slot, impressions, clicks, orders)
SELECT %(day)s, slot, coalesce(shown.impressions, 0), coalesce(shown.clicks, 0),
       coalesce(followed.orders, 0)
FROM shown FULL JOIN followed USING (slot)
"""
)


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Midnight to midnight of ``day`` in shop time."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=tz)
    return start, end


@transaction.atomic
def build_day(*, day: datetime.date) -> None:
    """Replace every fact row of ``day`` with rows computed from its events now.
    Idempotent: the same events give the same rows (``built_at`` aside)."""
    start, end = day_bounds(day)
    params = {"day": day, "start": start, "end": end, "now": timezone.now()}
    DailyKpi.objects.filter(day=day).delete()
    DailyProductFact.objects.filter(day=day).delete()
    DailyChannelFact.objects.filter(day=day).delete()
    DailySlotFact.objects.filter(day=day).delete()
    with connection.cursor() as cursor:
        cursor.execute(DROP_DAY_TABLES_SQL)
        for sql in DAY_TABLES_SQL:
            cursor.execute(sql, params)
        for sql in (KPI_SQL, PRODUCT_SQL, CHANNEL_SQL, SLOT_SQL):
            cursor.execute(sql, params)
        cursor.execute(DROP_DAY_TABLES_SQL)


def build_range(*, since: datetime.date, until: datetime.date) -> int:
    """Build every day from ``since`` to ``until`` (both included), each in its own
    transaction; returns how many. The backfill command's work."""
    days = 0
    day = since
    while day <= until:
        build_day(day=day)
        day += datetime.timedelta(days=1)
        days += 1
    return days


def build_daily_facts(*, today: datetime.date | None = None) -> int:
    """The scheduled, incremental build: the days after the last one built, plus the
    last one built and the day before it again (late events: a beacon retried, a batch
    ingested after midnight), up to today (built so far). With nothing built yet it
    starts at the oldest month with events. At most ``MAX_DAYS_PER_RUN`` days a run; the
    next run goes on. Returns how many days were built."""
    today = today or timezone.localdate()
    last = DailyKpi.objects.order_by("-day").values_list("day", flat=True).first()
    if last is not None:
        since = min(last, today) - datetime.timedelta(days=1)
    else:
        months = ingestion.event_partitions()
        if not months:
            return 0
        since = months[0]
    until = min(today, since + datetime.timedelta(days=MAX_DAYS_PER_RUN - 1))
    return build_range(since=since, until=until)


def facts_built(first: datetime.date, last: datetime.date) -> bool:
    """Whether every day from ``first`` to ``last`` has its facts."""
    wanted = (last - first).days + 1
    return DailyKpi.objects.filter(day__gte=first, day__lte=last).count() == wanted
