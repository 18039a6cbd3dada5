"""Tier recompute benchmark: the nightly job's one statement over many members and
orders, beside a hand-written SQL GROUP BY over the same rows.

    .venv/bin/python tests/bench/bench_tiers.py --members 200000 --orders 2000000

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates a database of its own on that server (mall_bench_tiers), migrates it and
bulk-generates --members shoppers and --orders paid orders spread over the last 15 months
(SQL generate_series, no Python per row). Then, --repeat times each, it times:

  floor      SELECT user_id, SUM(total), COUNT(*) ... GROUP BY user_id over the orders of
             the last 12 months, every group read by the database (the least any
             recompute must do);
  recompute  ``marketing.services.loyalty.recompute_tiers`` (the first run also creates
             the memberships; the figures of later runs are the steady state).

and prints the best and median seconds of each and the recompute's ratio to the floor,
with the members per tier. The database is dropped at the end (--keep keeps it); servers
it started are stopped. Only 127.0.0.1 is contacted. Not a test: pytest skips tests/bench.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_reservations import create_database, drop_database  # noqa: E402
from tests.bench.bench_storefront import (  # noqa: E402  (needs ROOT on the path)
    manage,
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

DATABASE = "mall_bench_tiers"

_USERS = """
INSERT INTO customers_user (password, is_superuser, display_name, marketing_consent, is_vip,
                            is_staff, is_active, date_joined, email)
SELECT '!', FALSE, '', FALSE, FALSE, FALSE, TRUE, now(), 'bench' || i || '@bench.example'
FROM generate_series(1, %(members)s) AS i
"""

_ORDERS = """
INSERT INTO orders_order (number, user_id, status, status_changed_at, recipient, mobile,
    mobile_index, province, city, district, street, postal_code, shipping_method,
    goods_total, shipping_fee, discount_total, shipping_discount, total, stored_value_paid,
    invoice_title, tax_number, idempotency_key, placed_at, pay_by, needs_review,
    review_reasons)
SELECT 'B' || i, u.first_id + (i::bigint * 7919) %% %(members)s, 'completed', now(), '', '', '',
       '', '', '', '', '', 'standard', t.amount, 0, 0, 0, t.amount, 0, '', '', 'b' || i,
       now() - ((i %% 450) || ' days')::interval, now(), FALSE, '[]'::jsonb
FROM generate_series(1, %(orders)s) AS i
CROSS JOIN (SELECT MIN(id) AS first_id FROM customers_user WHERE email LIKE 'bench%%') u
CROSS JOIN LATERAL (SELECT ((i::bigint * 37) %% 2000 + 20)::numeric(12, 2) AS amount) t
"""

_FLOOR = """
SELECT COUNT(*), SUM(spend) FROM (
    SELECT user_id, SUM(total) AS spend, COUNT(*) AS orders
    FROM orders_order
    WHERE status = ANY(%(sold)s) AND placed_at >= now() - interval '365 days'
    GROUP BY user_id
) figures
"""


def timed(work, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        runs.append(time.perf_counter() - began)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--orders", type=int, default=200000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
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
        # DEBUG on: the SQL measured is the same, and no production keys are needed.
        env = {**os.environ, **shop_environment(stores, state), "DEBUG": "1"}
        os.environ.update(env)
        say(f"migrating {DATABASE}")
        manage(env, "migrate", "--noinput", "-v", "0")

        import django

        django.setup()
        from django.db import connection

        from marketing.models import Membership
        from marketing.services import loyalty
        from orders.models import SOLD

        say(f"generating {args.members:,} shoppers and {args.orders:,} orders")
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE customers_user DISABLE TRIGGER USER")  # audit rows
            cursor.execute(_USERS, {"members": args.members})
            cursor.execute("ALTER TABLE customers_user ENABLE TRIGGER USER")
            cursor.execute(_ORDERS, {"members": args.members, "orders": args.orders})
            cursor.execute("ANALYZE")
        say(f"generated in {time.perf_counter() - began:.1f} s")

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(_FLOOR, {"sold": list(SOLD)})
                cursor.fetchall()

        first = timed(loyalty.recompute_tiers, 1)[0]
        floors = timed(floor, args.repeat)
        recomputes = timed(loyalty.recompute_tiers, args.repeat)
        best_floor, best = min(floors), min(recomputes)
        print()
        print(f"members {args.members:,}, orders {args.orders:,}, runs {args.repeat}")
        print("| what | best s | median s | × floor |")
        print("|---|--:|--:|--:|")
        print(f"| floor: GROUP BY | {best_floor:.2f} | {statistics.median(floors):.2f} | 1.00 |")
        print(
            f"| recompute_tiers | {best:.2f} | {statistics.median(recomputes):.2f} "
            f"| {best / best_floor:.2f} |"
        )
        print(
            f"| first recompute (creates memberships) | {first:.2f} | | {first / best_floor:.2f} |"
        )
        per_tier = Membership.objects.values_list("tier__name").order_by("tier__rank")
        from django.db.models import Count

        counts = per_tier.annotate(n=Count("pk"))
        print("members per tier:", ", ".join(f"{name} {n:,}" for name, n in counts))
        return 0
    finally:
        if created and not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(server_url, DATABASE)
        stop_stores(state, started)


if __name__ == "__main__":
    sys.exit(main())
