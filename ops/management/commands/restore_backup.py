"""Restore a backup made by ops.backups.make_backup:

    python manage.py restore_backup /path/mall-20260301T030000-12.dump
    python manage.py restore_backup DUMP --database-url postgres://.../mall_copy
    python manage.py restore_backup DUMP --replace        # overwrite a non-empty database

The dump's checksum is checked against its record when there is one. A database that has
tables is never overwritten without ``--replace``.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops import backups
from ops.models import Backup


class Command(BaseCommand):
    help = "Restore a database dump (pg_dump custom format) made by the backup job."

    def add_arguments(self, parser):
        parser.add_argument("dump", type=Path)
        parser.add_argument(
            "--database-url", default="", help="where to restore (default: the shop's database)"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="drop what the target database holds first (it must not be in use)",
        )

    def handle(self, *args, dump, database_url, replace, **options):
        if not dump.is_file():
            raise CommandError(f"No such file: {dump}")
        record = Backup.objects.filter(dump_path=str(dump)).first()
        if record and backups._sha256(dump) != record.dump_sha256:
            raise CommandError("The dump does not match the checksum recorded when it was made.")
        try:
            backups.restore(dump=dump, url=database_url or backups.database_url(), replace=replace)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {dump}."))
