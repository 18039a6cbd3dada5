"""Flash-sale benchmark: a crowd of buy attempts against a few units, through gunicorn,
sent by wrk (a native load generator, Debian's ``wrk`` package) beside the framework's
floor measured on the same server in the same run.

    .venv/bin/python tests/bench/bench_flash_sale.py --attempts 20000 --units 100 --connections 50

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates and migrates a database of its own on that server (mall_bench_flash),
makes --shoppers signed-in shoppers (sessions written straight into the session store)
and, for each mode of the gate (MALL_FLASH_SALE_GATE "redis", then "off"), a new flash
sale of --units units (limit one per shopper) and a gunicorn on 127.0.0.1 (a free port,
--workers x --threads, DEBUG off) running the shop with one more URL, the floor: a bare
Django view with one SQL query behind the same middleware (tests/bench/floor.py). On it,
wrk (--wrk-threads threads, --connections connections) runs, in order:

  floor    GET /bench/floor/ for --floor-seconds;
  crowd    buy attempts (tests/bench/flash_attempts.lua: shoppers in turn, a fresh
           Idempotency-Key each) at the live sale, --attempts at most, --time-limit s at
           most: the sale sells out in its first moments, the rest lose;
  losers   the same against the sold-out sale: every attempt loses, so wrk's latency
           percentiles are the losers' own.

It prints per mode: requests per second and p50/p99 latency of each, the crowd's and the
losers' rate as a share of the floor (the issue's goal: at least 40%, losers' p99 under
100 ms), answers by status, PostgreSQL transactions per attempt, and the checks read
from the database after each run: units oversold (must be 0), shoppers over their
limit, stock reserved. It exits non-zero on a 5xx, a socket error or a failed check.
The database is dropped at the end (--keep keeps it); servers it started are stopped.
Only 127.0.0.1 is contacted. Not a test: pytest skips tests/bench.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

DATABASE = "mall_bench_flash"
MODES = ("redis", "off")
MAX_ATTEMPTS = 200_000  # a bound whatever the arguments say
MAX_SECONDS = 120
LUA = Path(__file__).with_name("flash_attempts.lua")
PARTS = ("floor", "crowd", "losers", "floor_quiet", "losers_quiet")
FLOOR_PATH = "/bench/floor/"  # tests/bench/floor.py's (importing it sets Django up)


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


def write_shoppers(shoppers, folder: Path) -> Path:
    """The shoppers file the wrk script reads: "<session key> <address id>" a line."""
    path = folder / "flash-shoppers.txt"
    path.write_text("".join(f"{session} {address}\n" for _user, session, address in shoppers))
    return path


def wrk(
    base: str, args, seconds: float, *, script_args=None, path: str = "/", connections=None
) -> dict:
    """One wrk run against ``base`` (127.0.0.1 only), at most ``seconds`` long: with the
    flash script and its arguments, or a plain GET of ``path``."""
    connections = connections or args.connections
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError("the benchmark only talks to http://127.0.0.1")
    seconds = max(1, min(int(seconds), MAX_SECONDS))
    command = [
        shutil.which("wrk") or "wrk",
        f"--threads={min(args.wrk_threads, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
    ]
    if script_args is not None:
        command += ["--script", str(LUA), base, "--", *map(str, script_args)]
    else:
        command.append(base + path)
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr or result.stdout}")
    return _wrk_figures(result.stdout)


def _wrk_figures(output: str) -> dict:
    """requests/s, p50/p99 (ms) and errors from wrk's own report, plus the statuses the
    flash script's RESULT line counts."""
    figures = {"statuses": {}, "errors": 0}
    for line in output.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            figures["statuses"] = {int(k): v for k, v in result["statuses"].items()}
            figures["errors"] = result["errors"]
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    if not rate or not done:
        raise RuntimeError(f"wrk's output was not understood:\n{output}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        figures["errors"] = sum(int(n) for n in errors.groups())

    def ms(label):
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    figures.update(
        requests=int(done.group(1)), per_second=float(rate.group(1)), p50=ms("50"), p99=ms("99")
    )
    return figures


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
    parser.add_argument("--attempts", type=int, default=20000, help="crowd attempts, at most")
    parser.add_argument("--units", type=int, default=100, help="units of each sale")
    parser.add_argument("--shoppers", type=int, default=2000, help="signed-in shoppers")
    parser.add_argument("--connections", type=int, default=50, help="wrk's connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--time-limit", type=float, default=20, help="seconds per crowd at most")
    parser.add_argument("--floor-seconds", type=float, default=10, help="seconds of the floor")
    parser.add_argument("--losers-seconds", type=float, default=10, help="seconds of losers")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--modes", default=",".join(MODES), help="gate modes, in order")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    parser.add_argument("--state", type=Path, default=ROOT / ".run" / "bench")
    args = parser.parse_args(argv)
    attempts = min(args.attempts, MAX_ATTEMPTS)
    modes = [mode for mode in args.modes.split(",") if mode in MODES]
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")

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
        folder = Path(tempfile.mkdtemp(prefix="flash-", dir=state))
        shoppers_file = write_shoppers(shoppers, folder)
        opener = local_opener()
        quiet = args.workers * args.threads  # one connection per server thread: no queue
        for mode in modes:
            sale = make_sale(mode, args.units)
            for key in gate.scan_iter("mall:flash-sale:*"):  # nothing left from a last run
                gate.delete(key)
            connection.close()  # the web server's connections do the work now
            mode_env = {**env, "MALL_FLASH_SALE_GATE": mode}
            log = state / "logs" / "flash-web.log"
            app = "tests.bench.floor:application"
            row = {}
            # The floor on a server of its own (the same app and settings), so that the
            # PostgreSQL transactions counted below are the attempts' alone.
            server = Gunicorn(mode_env, log, args.workers, args.threads, app=app)
            try:
                server.wait_ready(opener)
                say(f"gate {mode}: the floor, {FLOOR_PATH} for {args.floor_seconds:.0f} s")
                row["floor"] = wrk(server.base, args, args.floor_seconds, path=FLOOR_PATH)
                row["floor_quiet"] = wrk(
                    server.base, args, args.floor_seconds, path=FLOOR_PATH, connections=quiet
                )
            finally:
                server.stop()
            time.sleep(1)
            before = transactions(stores["DATABASE_URL"])
            server = Gunicorn(mode_env, log, args.workers, args.threads, app=app)
            try:
                server.wait_ready(opener)
                say(f"gate {mode}: the crowd, {attempts} attempts at {args.units} units at most")
                row["crowd"] = wrk(
                    server.base,
                    args,
                    args.time_limit,
                    script_args=[shoppers_file, sale.pk, attempts, args.wrk_threads, "crowd"],
                )
                row["crowd_check"] = check(sale, args.units)
                say(f"gate {mode}: the losers, {args.losers_seconds:.0f} s at the sold-out sale")
                row["losers"] = wrk(
                    server.base,
                    args,
                    args.losers_seconds,
                    script_args=[shoppers_file, sale.pk, MAX_ATTEMPTS, args.wrk_threads, "lose"],
                )
                row["losers_quiet"] = wrk(
                    server.base,
                    args,
                    args.losers_seconds,
                    script_args=[shoppers_file, sale.pk, MAX_ATTEMPTS, quiet, "quiet"],
                    connections=quiet,
                )
            finally:
                server.stop()
            time.sleep(0.5)  # the server's backends report their counts as they exit
            answered = sum(row[part]["requests"] for part in ("crowd", "losers", "losers_quiet"))
            row["pg_xacts"] = transactions(stores["DATABASE_URL"]) - before - 1
            row["pg_per_attempt"] = row["pg_xacts"] / max(answered, 1)
            row["check"] = check(sale, args.units)
            rows.append((mode, row))
            say(
                f"gate {mode}: floor {row['floor']['per_second']:.0f}/s, crowd "
                f"{row['crowd']['per_second']:.0f}/s, losers {row['losers']['per_second']:.0f}/s"
            )
        shutil.rmtree(folder, ignore_errors=True)
        print_table(rows, args, attempts)
        failed = any(
            not row["check"]["ok"]
            or not row["crowd_check"]["ok"]
            or any(row[part]["errors"] for part in PARTS)
            or any(
                status >= 500 or status not in (201, 400, 409)
                for part in ("crowd", "losers", "losers_quiet")
                for status in row[part]["statuses"]
            )
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
        f"flash sale: {args.units} units, limit 1 per shopper, {args.shoppers} shoppers; wrk "
        f"{args.wrk_threads} threads x {args.connections} connections; gunicorn "
        f"{args.workers}x{args.threads}; crowd at most {attempts} attempts or "
        f"{args.time_limit:.0f} s"
    )
    header = (
        f"{'gate':<6} {'run':<12} {'requests':>8} {'per s':>7} {'of floor':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7}  answers"
    )
    print(header)
    print("-" * (len(header) + 30))
    for mode, row in rows:
        for part in PARTS:
            figures = row[part]
            floor = row["floor_quiet" if part.endswith("quiet") else "floor"]["per_second"]
            answers = ", ".join(f"{k}: {v}" for k, v in sorted(figures["statuses"].items()))
            share = "" if part.startswith("floor") else f"{figures['per_second'] / floor:.0%}"
            print(
                f"{mode:<6} {part:<12} {figures['requests']:>8} {figures['per_second']:>7.0f} "
                f"{share:>8} {figures['p50']:>7.1f} {figures['p99']:>7.1f}  {answers}"
            )
    print()
    print(
        f"{'gate':<6} {'orders':>6} {'oversold':>8} {'over lim':>8} {'reserved':>8} "
        f"{'PG xact/attempt':>15}"
    )
    for mode, row in rows:
        check = row["check"]
        print(
            f"{mode:<6} {check['orders_in_db']:>6} {check['oversold']:>8} "
            f"{check['over_limit']:>8} {check['reserved']:>8} {row['pg_per_attempt']:>15.2f}"
        )
    print()
    print(
        f"(_quiet: {args.workers * args.threads} connections, one per server thread, so "
        f"that latency is the request's and not the wait for a thread)"
    )
    for mode, row in rows:
        losers, quiet = row["losers"], row["losers_quiet"]
        share = losers["per_second"] / (row["floor"]["per_second"] or float("nan"))
        print(
            f"goal, gate {mode}: losers at {share:.0%} of the floor (40% asked: "
            f"{'reached' if share >= 0.4 else 'not reached'}); losers' p99 "
            f"{losers['p99']:.1f} ms at {args.connections} connections, {quiet['p99']:.1f} ms "
            f"at {args.workers * args.threads} (under 100 ms asked)"
        )


if __name__ == "__main__":
    sys.exit(main())
