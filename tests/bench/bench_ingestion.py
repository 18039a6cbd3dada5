"""Event ingestion benchmark: events per second through Redis into PostgreSQL.

    .venv/bin/python tests/bench/bench_ingestion.py --events 100000

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates a database of its own (mall_bench_ingestion), migrates it and measures:

  push          ``analytics.services.collection.push`` one event at a time (what a page
                pays per event: one Lua script call), next to the floor of a bare Redis
                RPUSH of the same JSON in the same run;
  ingest        ``analytics.services.ingestion.ingest_events`` writing the queue into the
                partitioned table, next to the floor of a bare multi-row INSERT of the
                same rows into an unpartitioned table without a key.

Prints events, seconds, events/s and per-event latency. The database is dropped at the
end (--keep keeps it); servers it started are stopped. Only 127.0.0.1 is contacted. Not
a test: pytest skips tests/bench.
"""

import argparse
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

DATABASE = "mall_bench_ingestion"


def measure(label: str, count: int, work) -> dict:
    began = time.perf_counter()
    work()
    seconds = time.perf_counter() - began
    return {
        "what": label,
        "events": count,
        "seconds": seconds,
        "per_second": count / seconds if seconds else 0.0,
        "us_each": seconds / count * 1e6 if count else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
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
        env = {**os.environ, **shop_environment(stores, state), "MALL_ANALYTICS_COLLECT": "1"}
        os.environ.update(env)
        say(f"migrating {DATABASE}")
        manage(env, "migrate", "--noinput", "-v", "0")
        import django

        django.setup()
        import json

        from django.db import connection
        from psycopg2.extras import execute_values

        from analytics.services import collection, ingestion

        redis = collection.client()
        redis.delete(collection.QUEUE_KEY, ingestion.PROCESSING_KEY, "bench:floor")
        events = [
            collection.build_event("product_view", {"product": n % 500 + 1, "category": 3})
            | {"visitor": f"{n % 5000:032x}", "session": f"{n % 9000:032x}"}
            for n in range(args.events)
        ]
        from django.conf import settings

        # A few thousand made-up visitors send everything within seconds: no rate cut.
        settings.MALL_ANALYTICS_MAX_EVENTS_PER_MINUTE = 10**9
        rows = []
        payloads = [json.dumps(e) for e in events]
        rows.append(
            measure("redis RPUSH (floor)", len(payloads),
                    lambda: [redis.rpush("bench:floor", p) for p in payloads])
        )  # fmt: skip
        redis.delete("bench:floor")
        rows.append(
            measure("collection.push", len(events), lambda: [collection.push(e) for e in events])
        )
        assert redis.llen(collection.QUEUE_KEY) == len(events), "events were dropped"
        table = [ingestion._row(p.encode()) for p in payloads]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE floor_events (LIKE analytics_event)")

        floor_sql = ingestion.INSERT_SQL.replace("analytics_event", "floor_events", 1)
        floor_sql = floor_sql.replace(" ON CONFLICT DO NOTHING RETURNING 1", "")

        def floor_insert():
            with connection.cursor() as cursor:
                for start in range(0, len(table), ingestion.BATCH_SIZE):
                    execute_values(
                        cursor,
                        floor_sql,
                        table[start : start + ingestion.BATCH_SIZE],
                        page_size=ingestion.BATCH_SIZE,
                    )

        rows.append(measure("bare multi-row INSERT (floor)", len(table), floor_insert))
        rows.append(
            measure(
                "ingest_events",
                len(events),
                lambda: ingestion.ingest_events(max_batches=len(events) // 1000 + 2),
            )
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM analytics_event")
            stored = cursor.fetchone()[0]
        print()
        print(f"{'what':34} {'events':>9} {'seconds':>9} {'events/s':>10} {'µs each':>9}")
        for row in rows:
            print(
                f"{row['what']:34} {row['events']:>9} {row['seconds']:>9.2f} "
                f"{row['per_second']:>10.0f} {row['us_each']:>9.1f}"
            )
        print(f"\nrows in analytics_event: {stored} (of {len(events)} events)")
    finally:
        if created and not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(server_url, DATABASE)
        stop_stores(state, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
