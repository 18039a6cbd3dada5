"""Daily facts benchmark: rebuilding one day's facts from its events, in event rows per
second, beside a bare INSERT ... SELECT over the same rows in the same run.

    .venv/bin/python tests/bench/bench_facts.py --events 1000000 --orders 100000

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates a database of its own (mall_bench_facts), migrates it, writes ``--events``
events of one day by SQL (``generate_series``: beacon page and product views, cart
additions, searches over 20,000 visitors; ``--orders`` of them orders placed, half of
them paid) and measures:

  build_day     ``analytics.services.facts.build_day``: the four fact tables of the day
                (KPIs, products, channels, recommendation slots), in one transaction;
  floor         a bare ``INSERT INTO ... SELECT name, count(*), sum(amount) ... GROUP BY
                name`` over the same day's events: one scan of the rows and nothing else.

Prints rows, seconds and rows/s of each, and the ratio. The database is dropped at the
end (--keep keeps it); servers it started are stopped. Only 127.0.0.1 is contacted. Not
a test: pytest skips tests/bench.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_reservations import create_database, drop_database  # noqa: E402
from tests.bench.bench_storefront import (  # noqa: E402
    manage,
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

DATABASE = "mall_bench_facts"
DAY = datetime.date(2026, 6, 17)

EVENTS_SQL = """
INSERT INTO analytics_event (event_id, occurred_at, name, source, visitor_id, session_id,
    product_id, category_id, sku_id, utm_source, properties)
SELECT md5('e' || n)::uuid,
       %(start)s + (n %% 86000) * interval '1 second',
       (ARRAY['page_view', 'product_view', 'product_view', 'search', 'cart_add'])[1 + n %% 5],
       CASE WHEN n %% 5 = 0 THEN 'beacon' ELSE 'server' END,
       lpad(to_hex(n %% 20000), 32, '0'),
       lpad(to_hex(n %% 30000), 32, '0'),
       1 + n %% 2000, 1 + n %% 40, 1 + n %% 4000,
       (ARRAY['', 'weibo', 'baidu', 'wechat'])[1 + n %% 4],
       '{}'::jsonb
FROM generate_series(1, %(events)s) AS n
"""

ORDERS_SQL = """
INSERT INTO analytics_event (event_id, occurred_at, name, source, visitor_id, session_id,
    user_id, order_id, quantity, amount, utm_source, properties)
SELECT md5(kind || n)::uuid,
       %(start)s + (n %% 86000) * interval '1 second',
       kind, 'server',
       lpad(to_hex(n %% 20000), 32, '0'), lpad(to_hex(n %% 30000), 32, '0'),
       1000000 + n %% 50000, n, 2, 99.00, '',
       CASE WHEN kind = 'order_placed'
            THEN jsonb_build_object('lines', jsonb_build_array(
                     jsonb_build_array(1 + n %% 4000, 1 + n %% 2000, 2, '99.00')))
            ELSE '{}'::jsonb END
FROM generate_series(1, %(orders)s) AS n,
     LATERAL (SELECT unnest(CASE WHEN n %% 2 = 0 THEN ARRAY['order_placed', 'order_paid']
                                 ELSE ARRAY['order_placed'] END) AS kind) k
"""

FLOOR_SQL = """
INSERT INTO bench_floor (name, events, amount)
SELECT name, count(*), sum(amount) FROM analytics_event
WHERE occurred_at >= %(start)s AND occurred_at < %(end)s
GROUP BY name
"""


def measure(label: str, rows: int, work) -> dict:
    began = time.perf_counter()
    work()
    seconds = time.perf_counter() - began
    return {"what": label, "rows": rows, "seconds": seconds, "per_second": rows / seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--state", type=Path, default=ROOT / ".run" / "bench")
    args = parser.parse_args(argv)
    state = args.state.resolve()
    state.mkdir(parents=True, exist_ok=True)
    stores, started = start_stores(state)
    server_url = stores["DATABASE_URL"]
    created = False
    try:
        stores = {**stores, "DATABASE_URL": create_database(server_url, DATABASE)}
        created = True
        env = {**os.environ, **shop_environment(stores, state)}
        os.environ.update(env)
        say(f"migrating {DATABASE}")
        manage(env, "migrate", "--noinput", "-v", "0")
        import django

        django.setup()
        from django.db import connection

        from analytics.services import facts, ingestion

        start, end = facts.day_bounds(DAY)
        ingestion.ensure_partition(DAY.replace(day=1))
        say(f"writing {args.events} events and {args.orders} orders of {DAY}")
        with connection.cursor() as cursor:
            cursor.execute(EVENTS_SQL, {"start": start, "events": args.events})
            cursor.execute(ORDERS_SQL, {"start": start, "orders": args.orders})
            cursor.execute("ANALYZE analytics_event")
            cursor.execute(
                "SELECT count(*) FROM analytics_event WHERE occurred_at >= %s AND occurred_at < %s",
                [start, end],
            )
            rows = cursor.fetchone()[0]
            cursor.execute("CREATE TABLE bench_floor (name text, events bigint, amount numeric)")

        def floor():
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE bench_floor")
                cursor.execute(FLOOR_SQL, {"start": start, "end": end})

        results = []
        for _ in range(args.repeat):  # warm runs alternate, the best of each is printed
            results.append(measure("bare INSERT ... SELECT (floor)", rows, floor))
            results.append(measure("facts.build_day", rows, lambda: facts.build_day(day=DAY)))
        best = {}
        for row in results:
            if row["what"] not in best or row["seconds"] < best[row["what"]]["seconds"]:
                best[row["what"]] = row
        from analytics.models import DailyKpi

        kpi = DailyKpi.objects.get(day=DAY)
        print()
        print(f"{'what':34} {'rows':>10} {'seconds':>9} {'rows/s':>11}")
        for row in best.values():
            print(
                f"{row['what']:34} {row['rows']:>10} {row['seconds']:>9.2f} "
                f"{row['per_second']:>11.0f}"
            )
        floor_s = best["bare INSERT ... SELECT (floor)"]["seconds"]
        build_s = best["facts.build_day"]["seconds"]
        print(f"\nbuild_day takes {build_s / floor_s:.1f}× the floor (best of {args.repeat})")
        print(f"facts of {DAY}: {kpi.visitors} visitors, {kpi.orders} orders, GMV {kpi.gmv}")
    finally:
        if created and not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(server_url, DATABASE)
        stop_stores(state, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
