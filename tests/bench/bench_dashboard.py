"""KPI dashboard benchmark: how fast the back office's dashboard answers over a year of facts.

    .venv/bin/python tests/bench/bench_dashboard.py --days 365 --seconds 10 --connections 8

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), migrates, writes --days of daily facts ending today (the shop's KPIs, --products
product facts and five channel facts a day, both recommendation slots, and a GMV target
for each year the range touches), signs an analyst in the way the tests do (a session
with the second factor passed, stored through the shop's own session engine), starts
gunicorn on 127.0.0.1 (DEBUG off, 2 workers x 4 threads) and drives, with wrk (Debian's
package), the dashboard over the whole range and the framework's floor (a bare Django
view reading one row by primary key through the same middleware, tests/bench/bench_urls.py)
in the same run. It prints requests per second, p50/p95/p99 latency and the SQL queries
one request makes, for both. The facts are rewritten at each run; servers it started are
stopped at the end. Only 127.0.0.1 is contacted. Not a test: pytest skips tests/bench.
"""

import argparse
import datetime
import logging
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_storefront import (
    ROOT,
    Gunicorn,
    local_opener,
    manage,
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

CHANNELS = ("direct", "baidu", "wechat", "douyin", "newsletter")
SLOTS = ("bought_together", "for_you")
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9"


def seed_facts(days: int, products: int) -> tuple[datetime.date, datetime.date]:
    """Replace every fact with ``days`` days of them ending today; returns the range."""
    from django.db import transaction
    from django.utils import timezone

    from analytics.models import (
        DailyChannelFact,
        DailyKpi,
        DailyProductFact,
        DailySlotFact,
        Target,
    )
    from catalog.models import Product

    until = timezone.localdate()
    since = until - datetime.timedelta(days=days - 1)
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True)[:products])
    ids = ids or list(range(1, products + 1))  # db_constraint=False: names then read as None
    now = timezone.now()
    with transaction.atomic():
        for model in (DailyKpi, DailyProductFact, DailyChannelFact, DailySlotFact, Target):
            model.objects.all().delete()
        kpis, product_facts, channel_facts, slot_facts = [], [], [], []
        for n in range(days):
            day = since + datetime.timedelta(days=n)
            orders = 100 + (n * 37) % 60
            kpis.append(
                DailyKpi(
                    day=day,
                    built_at=now,
                    visitors=3000 + n % 500,
                    sessions=4000 + n % 700,
                    page_views=20000 + n,
                    product_views=9000,
                    searches=1500,
                    cart_adds=800,
                    checkouts=300,
                    converted_sessions=orders - 5,
                    orders=orders,
                    units=orders * 2,
                    gmv=Decimal(orders * 180),
                    paid_orders=orders - 3,
                    paid_revenue=Decimal((orders - 3) * 180),
                    refunds=2,
                    refund_amount=Decimal("360.00"),
                    customers=orders - 8,
                    new_customers=30,
                    returning_customers=orders - 38,
                )
            )
            for index, pk in enumerate(ids):
                product_facts.append(
                    DailyProductFact(
                        day=day,
                        product_id=pk,
                        category_id=None,
                        views=200 + index,
                        cart_adds=20,
                        orders=5 + (index + n) % 7,
                        units=6,
                        gmv=Decimal(600 + index),
                    )
                )
            for index, channel in enumerate(CHANNELS):
                channel_facts.append(
                    DailyChannelFact(
                        day=day,
                        channel=channel,
                        visitors=500 + index,
                        sessions=600,
                        orders=20,
                        gmv=Decimal(3600),
                    )
                )
            for slot in SLOTS:
                slot_facts.append(
                    DailySlotFact(day=day, slot=slot, impressions=900, clicks=45, orders=6)
                )
        DailyKpi.objects.bulk_create(kpis, batch_size=2000)
        DailyProductFact.objects.bulk_create(product_facts, batch_size=5000)
        DailyChannelFact.objects.bulk_create(channel_facts, batch_size=5000)
        DailySlotFact.objects.bulk_create(slot_facts, batch_size=5000)
    return since, until


def analyst_session() -> tuple[str, str]:
    """(cookie name, session key) of a signed-in analyst who passed the second factor,
    made as tests/conftest.py's force_login does, stored by the shop's session engine."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from analytics.services.targets import set_target
    from customers.models import User
    from customers.services.two_factor import VERIFIED_AT, VERIFIED_USER

    user, _created = User.objects.get_or_create(
        email="bench-analyst@example.com", defaults={"is_staff": True}
    )
    user.groups.set(Group.objects.filter(name__in=("analyst", "manager")))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    today = timezone.localdate()
    for year in {today.year - 1, today.year}:
        set_target(year=year, metric="gmv", split="even", actor=user, amount="7000000")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend that finds users (the first one, django-axes, only refuses logins).
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store[VERIFIED_USER] = user.pk
    store[VERIFIED_AT] = timezone.now().isoformat()
    store.save()
    return settings.SESSION_COOKIE_NAME, store.session_key


def count_queries(path: str, cookie: tuple[str, str]) -> tuple[int, int, float, str]:
    """(status, SQL queries, their total ms, the slowest one's ms and start) of one request
    made in this process with the test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE=ACCEPT_LANGUAGE)
    client.cookies[cookie[0]] = cookie[1]
    client.get(path)  # warm the connection and PostgreSQL's buffers
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    queries = captured.captured_queries
    slowest = max(queries, key=lambda q: float(q["time"]))
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    note = f"{float(slowest['time']) * 1000:.0f} ms: {slowest['sql'][:90]}"
    return response.status_code, len(queries), sql_ms, note


def _us(value: str) -> float:
    return int(value) / 1000 if value.isdigit() else float("nan")


def fire_wrk(url: str, cookie: tuple[str, str], seconds: int, connections: int, state: Path):
    """wrk against ``url`` for ``seconds`` with the analyst's cookie: one table row."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the benchmark only talks to http://127.0.0.1")
    script = state / "wrk-dashboard.lua"
    script.write_text(
        f'wrk.headers["Accept-Language"] = "{ACCEPT_LANGUAGE}"\n'
        f'wrk.headers["Cookie"] = "{cookie[0]}={cookie[1]}"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("P50 %d\\nP95 %d\\nP99 %d\\n", latency:percentile(50),'
        " latency:percentile(95), latency:percentile(99)))\n"
        "end\n"
    )
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    done = re.search(r"([0-9]+) requests in", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", output)
    timeouts = re.search(r"Socket errors:.*?timeout ([0-9]+)", output)
    marks = dict(re.findall(r"^(P\d+) (\d+)$", output, re.MULTILINE))
    return {
        "requests": int(done.group(1)) if done else 0,
        "errors": (int(bad.group(1)) if bad else 0) + (int(timeouts.group(1)) if timeouts else 0),
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": _us(marks.get("P50", "")),
        "p95": _us(marks.get("P95", "")),
        "p99": _us(marks.get("P99", "")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days of facts (the range shown)")
    parser.add_argument("--products", type=int, default=50, help="product facts a day")
    parser.add_argument("--seconds", type=int, default=10, help="wrk: seconds per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk: open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--state", type=Path, default=ROOT / ".run" / "bench")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    state = args.state.resolve()
    state.mkdir(parents=True, exist_ok=True)
    stores, started = start_stores(state)
    env = {**os.environ, **shop_environment(stores, state)}
    os.environ.update(env)
    server = None
    try:
        say("migrating")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        import django

        django.setup()
        logging.getLogger("mall.request").setLevel(logging.WARNING)
        from django.urls import reverse

        say(f"writing {args.days} days of facts ({args.products} products a day)")
        since, until = seed_facts(args.days, args.products)
        cookie = analyst_session()
        dashboard = (
            reverse("admin:analytics_dashboard")
            + f"?since={since.isoformat()}&until={until.isoformat()}&metric=gmv"
        )
        pages = {
            "floor (1 PK SELECT)": "/bench/floor/1/",
            f"dashboard, {args.days} days": dashboard,
        }
        server = Gunicorn(env, state / "logs" / "web.log", args.workers, args.threads)
        server.wait_ready(local_opener())
        say(
            f"gunicorn {args.workers}x{args.threads} on {server.base}; "
            f"wrk -t2 -c{args.connections} {args.seconds}s a page"
        )
        rows = []
        for name, path in pages.items():
            status, queries, sql_ms, slowest = count_queries(path, cookie)
            if status != 200:
                raise SystemExit(f"{name} answered {status}, not 200: is the session refused?")
            figures = fire_wrk(server.base + path, cookie, args.seconds, args.connections, state)
            rows.append((name, queries, sql_ms, slowest, figures))
        print(
            f"{'page':<22}{'requests':>9}{'errors':>7}{'req/s':>9}{'p50 ms':>9}"
            f"{'p95 ms':>9}{'p99 ms':>9}{'queries':>9}{'SQL ms':>9}"
        )
        for name, queries, sql_ms, _slowest, f in rows:
            print(
                f"{name:<22}{f['requests']:>9}{f['errors']:>7}{f['rps']:>9.1f}{f['p50']:>9.1f}"
                f"{f['p95']:>9.1f}{f['p99']:>9.1f}{queries:>9}{sql_ms:>9.1f}"
            )
        for name, _queries, _sql_ms, slowest, _f in rows:
            print(f"slowest query of {name}: {slowest}")
        floor_rps, page_rps = rows[0][-1]["rps"], rows[1][-1]["rps"]
        if page_rps:
            print(f"the dashboard answers at 1/{floor_rps / page_rps:.1f} of the floor's rate")
    finally:
        if server is not None:
            server.stop()
        stop_stores(state, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
