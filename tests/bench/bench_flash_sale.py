"""Flash-sale benchmark: a crowd of buy attempts against a few units, through gunicorn.

    .venv/bin/python tests/bench/bench_flash_sale.py --attempts 2000 --units 100 --clients 50

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates and migrates a database of its own on that server (mall_bench_flash),
makes --shoppers signed-in shoppers (sessions written straight into the database) and,
for each mode of the gate (MALL_FLASH_SALE_GATE "redis", then "off"), a new flash sale of
--units units (limit one per shopper) and a gunicorn on 127.0.0.1 (a free port,
--workers x --threads, DEBUG off) running with that mode. --clients threads, each on its
own keep-alive connection, then POST --attempts attempts to /api/v1/flash-sales/<id>/buy/
(shoppers in random order, a fresh Idempotency-Key each), stopping after --time-limit
seconds whatever happens.

It prints per run: attempts answered, attempts per second, orders placed, orders per
second (until the sale sold out), median and 95th-percentile latency (all attempts, and
the winners'), PostgreSQL transactions per attempt, answers by status, and the checks:
units oversold (orders beyond the units, must be 0), shoppers over their limit, stock
reserved. --rounds N runs each mode N times, alternating, and adds the medians. It exits
non-zero on any 5xx, lost request or failed check. The database is dropped at the end (--keep keeps
it); servers it started are stopped. Only 127.0.0.1 is contacted. Not a test: pytest
skips tests/bench.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_reservations import (  # noqa: E402  (needs ROOT on the path)
    create_database,
    drop_database,
)
from tests.bench.bench_storefront import (  # noqa: E402
    Gunicorn,
    local_opener,
    manage,
    percentile,
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

DATABASE = "mall_bench_flash"
MODES = ("redis", "off")
MAX_ATTEMPTS = 50_000  # a bound whatever the arguments say


def make_shoppers(count: int) -> list[tuple[int, str, int]]:
    """``count`` shoppers with an address and a signed-in session: (id, session, address)."""
    from tests.marketing.flashsale_helpers import bulk_sessions, bulk_shoppers

    users, addresses = bulk_shoppers(count, prefix="176")
    sessions = bulk_sessions(users)
    return [(user.pk, sessions[user.pk], addresses[user.pk]) for user in users]


def make_sale(mode: str, units: int):
    """A listed SKU with stock to spare and a live sale of ``units`` of it."""
    from tests.marketing.flashsale_helpers import schedule
    from tests.orders.factories import listed_sku

    sku = listed_sku(price="100.00", stock=units * 2, name=f"秒杀基准 {mode}")
    return schedule(sku, price="59.00", quantity=units, limit=1)


def hammer(port: int, sale_id: int, shoppers, attempts: int, clients: int, time_limit: float):
    """``attempts`` buy attempts from ``clients`` keep-alive connections, at most
    ``time_limit`` seconds. Returns the figures of one run."""
    from tests.marketing.flashsale_helpers import fire_buy_attempts

    crowd = fire_buy_attempts(
        port,
        sale_id,
        shoppers,
        attempts=attempts,
        clients=clients,
        time_limit=time_limit,
        seed=2026,
    )
    done, wall, orders = crowd.latencies, crowd.wall, crowd.statuses[201]
    sold_out_after = max(crowd.won_at) if crowd.won_at else wall
    return {
        "attempts": len(done),
        "wall": wall,
        "attempts_per_s": len(done) / wall if wall else 0.0,
        "orders": orders,
        "orders_per_s": orders / sold_out_after if sold_out_after else 0.0,
        "sold_out_after": sold_out_after,
        "p50": percentile(done, 50),
        "p95": percentile(done, 95),
        "winner_p95": percentile(crowd.winners, 95),
        "statuses": dict(crowd.statuses),
        "first_error": ": ".join(crowd.errors[0]) if crowd.errors else "",
    }


def transactions(database_url: str) -> int:
    """Transactions PostgreSQL has counted in the benchmark's database (each statement
    outside ``atomic`` is one): read with a connection of its own, after the web server
    stopped, so every backend has reported."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


def check(sale, units: int) -> dict:
    """What the database says after a run: oversold units, shoppers over the limit, the
    stock reserved. All must be as many as the units sold, and nothing more."""
    from django.db.models import Count

    from catalog.models import Stock
    from marketing.models import FlashSaleClaim
    from orders.models import Order

    sale.refresh_from_db()
    claims = FlashSaleClaim.objects.filter(flash_sale=sale, released=False)
    orders = Order.objects.filter(flash_claim__flash_sale=sale).count()
    over_limit = (
        claims.values("user").annotate(n=Count("pk")).filter(n__gt=1).count()
        + claims.filter(quantity__gt=sale.per_shopper_limit).count()
    )
    reserved = sum(Stock.objects.filter(sku_id=sale.sku_id).values_list("reserved", flat=True))
    return {
        "sold": sale.sold,
        "orders_in_db": orders,
        "oversold": max(orders - units, 0) + max(sale.sold - units, 0),
        "over_limit": over_limit,
        "reserved": reserved,
        # Exactly the units: never more (oversold), none lost (all sold, all reserved).
        "ok": orders == sale.sold == reserved == units and over_limit == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=2000, help="buy attempts per mode")
    parser.add_argument("--units", type=int, default=100, help="units of each sale")
    parser.add_argument("--shoppers", type=int, default=1000, help="signed-in shoppers")
    parser.add_argument("--clients", type=int, default=50, help="concurrent client connections")
    parser.add_argument("--time-limit", type=float, default=60, help="seconds per mode at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--modes", default=",".join(MODES), help="gate modes, in order")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each mode (at most 5)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    parser.add_argument("--state", type=Path, default=ROOT / ".run" / "bench")
    args = parser.parse_args(argv)
    attempts = min(args.attempts, MAX_ATTEMPTS)
    args.rounds = max(1, min(args.rounds, 5))
    modes = [mode for mode in args.modes.split(",") if mode in MODES]

    state = args.state.resolve()
    state.mkdir(parents=True, exist_ok=True)
    stores, started = start_stores(state)
    server_url = stores["DATABASE_URL"]
    created = False
    rows = []
    try:
        stores = {**stores, "DATABASE_URL": create_database(server_url, DATABASE)}
        created = True
        env = {**os.environ, **shop_environment(stores, state)}
        os.environ.update(env)
        say(f"migrating {DATABASE}")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")

        import django

        django.setup()
        import redis
        from django.db import connection

        gate = redis.Redis.from_url(stores["REDIS_URL"])
        say(f"making {args.shoppers} signed-in shoppers")
        shoppers = make_shoppers(args.shoppers)
        opener = local_opener()
        # Rounds alternate the modes, so a busy neighbour on the machine weighs on both.
        for mode in [mode for _round in range(args.rounds) for mode in modes]:
            sale = make_sale(mode, args.units)
            for key in gate.scan_iter("mall:flash-sale:*"):  # nothing left from a last run
                gate.delete(key)
            connection.close()  # the web server's connections do the work now
            before = transactions(stores["DATABASE_URL"])
            server = Gunicorn(
                {**env, "MALL_FLASH_SALE_GATE": mode},
                state / "logs" / "flash-web.log",
                args.workers,
                args.threads,
            )
            try:
                server.wait_ready(opener)
                say(
                    f"gate {mode}: {attempts} attempts from {args.clients} clients at "
                    f"{args.units} units on {server.base}"
                )
                row = hammer(
                    server.port, sale.pk, shoppers, attempts, args.clients, args.time_limit
                )
            finally:
                server.stop()
            time.sleep(0.5)  # the server's backends report their counts as they exit
            row["pg_xacts"] = transactions(stores["DATABASE_URL"]) - before - 1
            row.update(check(sale, args.units))
            rows.append((mode, row))
            say(f"gate {mode}: {row['attempts_per_s']:.0f} attempts/s, {row['orders']} orders")
        print_table(rows, args, attempts)
        failed = any(
            not row["ok"]
            or row["attempts"] != attempts
            or set(row["statuses"]) - {201, 400, 409}
            or row["orders"] != row["orders_in_db"]
            for _, row in rows
        )
        return 1 if failed else 0
    finally:
        if created and not args.keep:
            say(f"dropping {DATABASE}")
            drop_database(server_url, DATABASE)
        stop_stores(state, started)


def print_table(rows, args, attempts) -> None:
    print()
    print(
        f"flash sale: {attempts} buy attempts, {args.units} units, limit 1 per shopper, "
        f"{args.shoppers} shoppers, {args.clients} client connections, "
        f"gunicorn {args.workers}x{args.threads}"
    )
    header = (
        f"{'gate':<6} {'attempts':>8} {'att/s':>6} {'orders':>6} {'ord/s':>6} {'sold out s':>10} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'win p95':>7} {'oversold':>8} {'over lim':>8} "
        f"{'reserved':>8} {'pg xact/att':>11}"
    )
    print(header)
    print("-" * len(header))
    for mode, row in rows:
        print(
            f"{mode:<6} {row['attempts']:>8} {row['attempts_per_s']:>6.0f} {row['orders']:>6} "
            f"{row['orders_per_s']:>6.1f} {row['sold_out_after']:>10.2f} {row['p50']:>7.1f} "
            f"{row['p95']:>7.1f} {row['winner_p95']:>7.1f} {row['oversold']:>8} "
            f"{row['over_limit']:>8} {row['reserved']:>8} "
            f"{row['pg_xacts'] / max(row['attempts'], 1):>11.1f}"
        )
    if args.rounds > 1:
        for mode in dict(rows):
            mine = [row for name, row in rows if name == mode]
            medians = {
                key: statistics.median(row[key] for row in mine)
                for key in ("attempts_per_s", "orders_per_s", "p50", "p95", "winner_p95")
            }
            print(
                f"{mode:<6} median of {len(mine)}: {medians['attempts_per_s']:.0f} attempts/s, "
                f"{medians['orders_per_s']:.1f} orders/s, p50 {medians['p50']:.1f} ms, "
                f"p95 {medians['p95']:.1f} ms, winners' p95 {medians['winner_p95']:.1f} ms"
            )
    for mode, row in rows:
        statuses = ", ".join(
            f"{status}: {count}" for status, count in sorted(row["statuses"].items(), key=str)
        )
        print(f"  {mode}: answers {statuses}")
        if row["first_error"]:
            print(f"  {mode}: first error: {row['first_error']}")


if __name__ == "__main__":
    sys.exit(main())
