from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customers import demo as customers_demo

# Each app that has demo data contributes a ``demo.seed()``; listed here in the order
# their data depends on each other. Every seed is idempotent.
SEEDS = [customers_demo.seed]


class Command(BaseCommand):
    help = "Create the demo data (staff of every role, shoppers, ...). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--list-logins", action="store_true", help="only print the demo logins")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="seed even with DEBUG off (demo accounts have a published password)",
        )

    def handle(self, *args, list_logins=False, allow_production=False, **options):
        if list_logins:
            self._print_logins()
            return
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: their password is public. "
                "Pass --allow-production for a staging copy."
            )
        for seed in SEEDS:
            seed()
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

    def _print_logins(self):
        self.stdout.write("  demo logins (role, login, password):")
        for role, login, password in customers_demo.logins():
            self.stdout.write(f"    {role:<20} {login:<26} {password}")
