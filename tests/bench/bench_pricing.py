"""Pricing benchmark: quotes per second of a 10-line cart with 200 active promotions and
30 coupons in the shopper's wallet, beside the same cart with no rules.

    .venv/bin/python tests/bench/bench_pricing.py --seconds 10

It starts PostgreSQL and Redis in .run/bench (unless DATABASE_URL and REDIS_URL are
given), creates a database of its own on that server (mall_bench_pricing), migrates it and
makes: 10 goods in the cart (two categories, three brands, two suppliers) and 60 others;
then measures, one quote after another in one thread for --seconds each, what the cart and
checkout pages compute (``orders.selectors.orders.cart_view``: every line re-checked and
priced, then ``compute_totals``):

  orders alone          no discount source registered: the floor of the framework and
                        the cart's own queries;
  no rules              marketing registered, no promotion or coupon in force;
  200 rules, 30 coupons every kind of promotion (some on the cart's goods, most on other
                        goods, categories, brands), and 30 coupons in the wallet, the best
                        chosen for the shopper.

It prints per scenario: quotes, quotes per second, median and 95th-percentile latency, SQL
queries per quote, and the discount found (the rules must take part). The database is
dropped at the end (--keep keeps it); servers it started are stopped. Only 127.0.0.1 is
contacted. Not a test: pytest skips tests/bench.
"""

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_reservations import create_database, drop_database  # noqa: E402
from tests.bench.bench_storefront import (  # noqa: E402  (needs ROOT on the path)
    manage,
    percentile,
    say,
    shop_environment,
    start_stores,
    stop_stores,
)

DATABASE = "mall_bench_pricing"


def make_goods():
    """The cart's 10 goods and 60 others, over categories, brands and suppliers."""
    from tests.catalog.factories import CategoryFactory, SupplierFactory, make_listed_product
    from tests.customers.factories import AddressFactory, UserFactory

    food = CategoryFactory(name="食品", slug="bench-food")
    tea = CategoryFactory(name="茶叶", slug="bench-tea", parent=food)
    snacks = CategoryFactory(name="零食", slug="bench-snacks", parent=food)
    home = CategoryFactory(name="家居", slug="bench-home")
    suppliers = [SupplierFactory(), SupplierFactory()]
    pick = random.Random(14)
    cart_goods, others = [], []
    for n in range(70):
        category = (tea, snacks, home)[n % 3] if n >= 10 else (tea, snacks)[n % 2]
        product = make_listed_product(
            name=f"商品{n}",
            category=category,
            supplier=suppliers[n % 2],
            brand=("狮峰", "良品", "西子", "无印")[n % 4],
            prices=(str(Decimal(pick.randint(1500, 30000)) / 100),),
            stock=1000,
        )
        (cart_goods if n < 10 else others).append(product)
    shopper = UserFactory()
    AddressFactory(user=shopper)
    return shopper, cart_goods, others, (food, tea, snacks, home)


def make_rules(cart_goods, others, categories, shopper, count=200, wallet=30):
    """``count`` promotions of every kind, running now, and ``wallet`` coupons granted to
    the shopper, through the services."""
    import datetime

    from django.utils import timezone

    from marketing.models import CouponTemplate, Promotion
    from marketing.services import coupons, promotions
    from tests.customers.factories import UserFactory

    actor = UserFactory(roles=["operator"])
    second = UserFactory(roles=["operator"])
    now = timezone.now()
    pick = random.Random(2026)
    Kind = Promotion.Kind
    food, tea, snacks, home = categories
    made = 0

    def scope():
        roll = pick.random()
        if roll < 0.05:
            return {}  # every item
        if roll < 0.20:
            return {"categories": [pick.choice([tea, snacks, home, food])]}
        if roll < 0.30:
            return {"brands": [pick.choice(["狮峰", "良品", "西子", "无印"])]}
        if roll < 0.40:
            return {"products": [pick.choice(cart_goods)]}
        return {"products": pick.sample(others, 3)}

    while made < count:
        kind = [
            Kind.THRESHOLD_OFF,
            Kind.THRESHOLD_PERCENT,
            Kind.TIMED_DISCOUNT,
            Kind.BUY_GET,
            Kind.NTH_ITEM,
            Kind.FREE_SHIPPING,
            Kind.NEW_CUSTOMER,
        ][made % 7]
        base = 100 + pick.randint(0, 40) * 10
        tiers, fields = [], {}
        if kind == Kind.THRESHOLD_OFF:
            tiers = [
                {"threshold": Decimal(base), "amount_off": Decimal(base // 10)},
                {"threshold": Decimal(base * 2), "amount_off": Decimal(base // 4)},
            ]
        elif kind == Kind.THRESHOLD_PERCENT:
            tiers = [{"threshold": Decimal(base), "percent_off": Decimal(pick.choice([5, 10, 15]))}]
        elif kind == Kind.TIMED_DISCOUNT:
            fields = {"percent_off": Decimal(pick.choice([5, 10, 20, 30]))}
        elif kind == Kind.BUY_GET:
            fields = {"buy_quantity": 2, "free_quantity": 1}
        elif kind == Kind.NTH_ITEM:
            fields = {"nth": 2, "percent_off": Decimal(50)}
        elif kind == Kind.FREE_SHIPPING:
            tiers = [{"threshold": Decimal(base)}]
        else:
            tiers = [{"threshold": Decimal(base), "amount_off": Decimal(10)}]
        promotion = promotions.save_promotion(
            data={
                "name": f"促销{made}",
                "kind": kind,
                "starts_at": now - datetime.timedelta(hours=1),
                "ends_at": now + datetime.timedelta(days=30),
                "basis": "amount",
                "priority": pick.randint(0, 3),
                "exclusive": made % 23 == 0,
                **fields,
                **scope(),
            },
            tiers=tiers,
            actor=actor,
        )
        promotions.submit_promotion(promotion=promotion, actor=actor)
        promotion.refresh_from_db()
        if promotion.status == Promotion.Status.PENDING:
            promotions.approve_promotion(promotion=promotion, actor=second)
        made += 1
    for n in range(wallet):
        threshold = Decimal(pick.choice([0, 99, 199, 299, 499, 999]))
        percent = n % 3 == 0
        template = coupons.save_template(
            data={
                "name": f"券{n}",
                "kind": CouponTemplate.Kind.PERCENT_OFF
                if percent
                else CouponTemplate.Kind.AMOUNT_OFF,
                "amount": None if percent else Decimal(pick.choice([5, 10, 20, 30])),
                "percent_off": Decimal(pick.choice([5, 10, 12])) if percent else None,
                "max_discount": Decimal(50) if percent else None,
                "threshold": threshold if not percent else Decimal(0),
                "valid_days": 30,
                "valid_until": None,
                "per_shopper_limit": 1,
                "stackable": n % 4 != 0,
                "channel": CouponTemplate.Channel.GRANT,
                **scope(),
            },
            actor=actor,
        )
        coupons.grant_coupons(template=template, users=[shopper], actor=actor, reason="bench")


def measure(cart, shopper, seconds: float) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.selectors.orders import cart_view

    def quote():
        return cart_view(cart, province="浙江省", method="standard", user=shopper)

    for _ in range(20):  # warm: the rules are built once per process
        view = quote()
    with CaptureQueriesContext(connection) as captured:
        view = quote()
    latencies = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        begin = time.perf_counter()
        quote()
        latencies.append((time.perf_counter() - begin) * 1000)
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "quotes": len(latencies),
        "per_second": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "queries": len(captured.captured_queries),
        "discount": view.totals.discount_total,
        "lines": len(view.lines),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="per scenario")
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--coupons", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    parser.add_argument("--profile", action="store_true", help="profile the last scenario")
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

        from orders.services import cart as carts
        from orders.services import checkout

        say("making 70 goods and a 10-line cart")
        shopper, cart_goods, others, categories = make_goods()
        cart = carts.open_cart(user=shopper)
        for n, product in enumerate(cart_goods):
            carts.add_to_cart(cart=cart, sku_id=product.skus.get().pk, quantity=1 + n % 3)
        rows = []
        sources = list(checkout._DISCOUNT_SOURCES), list(checkout._STORED_VALUE_SOURCES)
        checkout._DISCOUNT_SOURCES.clear()
        checkout._STORED_VALUE_SOURCES.clear()
        rows.append(("orders alone", measure(cart, shopper, args.seconds)))
        checkout._DISCOUNT_SOURCES.extend(sources[0])
        checkout._STORED_VALUE_SOURCES.extend(sources[1])
        rows.append(("no rules", measure(cart, shopper, args.seconds)))
        say(f"making {args.rules} promotions and {args.coupons} coupons in the wallet")
        make_rules(cart_goods, others, categories, shopper, args.rules, args.coupons)
        name = f"{args.rules} rules, {args.coupons} coupons"
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        rows.append((name, measure(cart, shopper, args.seconds)))
        if args.profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        connection.close()
        print_table(rows, args)
        return 0
    finally:
        if created and not args.keep:
            say(f"dropping {DATABASE}")
            drop_database(server_url, DATABASE)
        stop_stores(state, started)


def print_table(rows, args) -> None:
    print()
    print(
        "pricing a 10-line cart (cart_view: lines re-checked, then compute_totals), "
        f"one thread, {args.seconds:.0f} s each"
    )
    header = f"{'scenario':<24} {'quotes':>7} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} "
    header += f"{'queries':>7} {'discount':>9}"
    print(header)
    print("-" * len(header))
    for name, row in rows:
        print(
            f"{name:<24} {row['quotes']:>7} {row['per_second']:>7.0f} {row['p50']:>7.2f} "
            f"{row['p95']:>7.2f} {row['queries']:>7} {row['discount']:>9}"
        )
    base = dict(rows)["no rules"]["per_second"]
    ruled = rows[-1][1]["per_second"]
    print(f"\nwith the rules: {ruled / base:.0%} of the quotes per second without them")


if __name__ == "__main__":
    sys.exit(main())
