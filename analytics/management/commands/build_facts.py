import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.services import facts, quality


class Command(BaseCommand):
    help = (
        "Rebuild the daily facts of a range of days from the collected events (idempotent: "
        "a day built again gives the same rows), then check them against the orders."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=datetime.date.fromisoformat, required=True)
        parser.add_argument(
            "--until", type=datetime.date.fromisoformat, help="last day (default: today)"
        )

    def handle(self, *, since, until, **options):
        until = until or timezone.localdate()
        if since > until:
            raise CommandError("--since comes after --until.")
        days = facts.build_range(since=since, until=until)
        drifts = quality.check_data_quality(since=since, until=until)
        self.stdout.write(f"built {days} day(s) from {since} to {until}; {len(drifts)} drift(s)")
        for check in drifts:
            self.stdout.write(
                f"  {check.day} {check.metric}: facts {check.fact_value}, "
                f"books {check.source_value}"
            )
