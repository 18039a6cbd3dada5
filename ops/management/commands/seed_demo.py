import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.services import search as search_services

from ...demo import (
    accounts,
    catalog,
    code,
    knowledge,
    membership,
    orders,
    promotions,
    reviews,
    tickets,
)

# Each part of the demo data has its ``seed()`` in ops/demo/; listed here in the order
# their data depends on each other. Every seed is idempotent.
SEEDS = [
    accounts.seed,
    knowledge.seed,
    catalog.seed,
    orders.seed,
    tickets.seed,
    # Reviews need delivered orders: they buy, receive and review the demo goods.
    reviews.seed,
    # Last, so that the demo orders above keep the prices they were placed at.
    promotions.seed,
    # Tiers from the demo orders, and points for the first demo shopper.
    membership.seed,
]


class Command(BaseCommand):
    help = "Create the demo data (staff of every role, shoppers, ...). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--list-logins", action="store_true", help="only print the demo logins")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="seed even with DEBUG off (demo accounts have a published password)",
        )
        parser.add_argument(
            "--catalog-size",
            type=int,
            default=0,
            metavar="N",
            help=(
                "also make sure N bulk-generated listed goods exist (for benchmarks; "
                "100000 takes a few minutes). Adds only what is missing."
            ),
        )

    def handle(self, *args, list_logins=False, allow_production=False, catalog_size=0, **options):
        if list_logins:
            self._print_logins()
            return
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: their password is public. "
                "Pass --allow-production for a staging copy."
            )
        if catalog_size < 0:
            raise CommandError("--catalog-size must be 0 or more.")
        self.verbosity = options["verbosity"]
        for seed in SEEDS:
            started = time.monotonic()
            seed()
            if self.verbosity > 1:
                self.stdout.write(f"  {seed.__module__}: {time.monotonic() - started:.1f} s")
        if catalog_size:
            self._seed_bulk(catalog_size)
        # The vocabulary for pinyin, autosuggest and "did you mean" (hourly otherwise).
        search_services.rebuild_search_terms()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

    def _seed_bulk(self, size: int) -> None:
        def say(message):
            if self.verbosity:
                self.stdout.write(f"  bulk goods: {message}")

        before = catalog.bulk_goods_count()
        if before >= size:
            say(f"{before} already, none added")
            return
        started = time.monotonic()
        added = catalog.seed_bulk(
            size=size,
            progress=lambda done, total, elapsed: say(f"{done}/{total} ({elapsed:.0f} s)"),
        )
        say(f"added {added} in {time.monotonic() - started:.1f} s ({size} in all)")

    def _print_logins(self):
        self.stdout.write("  demo logins (role, login, password):")
        for role, login, password in accounts.logins():
            self.stdout.write(f"    {role:<20} {login:<26} {password}")
        self.stdout.write(
            f"  staff second factor: authenticator key {code.DEMO_TOTP_BASE32}, or the code "
            "of the moment from `.venv/bin/python -m ops.demo.code`"
        )
