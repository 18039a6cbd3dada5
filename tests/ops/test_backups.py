"""Backups and restore drills against the real PostgreSQL: pg_dump of the test database
(custom format) with checksums and a copy, run by a real Celery worker; the drill
restores it into a scratch database and compares rows and the stock ledger; retention;
the restore command's refusal to overwrite."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ops import backups, tasks
from ops.models import Backup, RestoreDrill
from tests.customers.factories import UserFactory
from tests.orders.factories import listed_sku, place


@pytest.fixture
def backup_dirs(settings, tmp_path):
    settings.MALL_BACKUP_DIR = str(tmp_path / "backups")
    settings.MALL_BACKUP_COPY_DIR = str(tmp_path / "second-location")
    return tmp_path


def test_the_restore_drill_passes_on_the_real_worker(worker, transactional_db, backup_dirs):
    tea = listed_sku(stock=30)
    place(items=[(tea, 2)])

    backup_id = worker.run(tasks.make_backup, timeout=120)
    backup = Backup.objects.get(pk=backup_id)
    assert backup.status == Backup.Status.OK, backup.error
    dump = Path(backup.dump_path)
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert hashlib.sha256(dump.read_bytes()).hexdigest() == backup.dump_sha256
    assert backup.row_counts["orders_order"] == 1 and backup.row_counts["catalog_stock"] >= 1
    assert backup.ledger == {"drifting_rows": 0, "on_hand": 30, "movements": 30}
    copies = [Path(copy) for copy in backup.copies]
    assert {copy.name for copy in copies} == {dump.name, Path(backup.media_path).name}
    assert all(copy.parent == backup_dirs / "second-location" for copy in copies)

    assert worker.run(tasks.restore_drill, timeout=180) == RestoreDrill.Status.PASSED
    drill = RestoreDrill.objects.get()
    assert drill.backup == backup and drill.checks["tables_differing"] == {}
    assert drill.checks["rows"] == sum(backup.row_counts.values())
    assert drill.checks["ledger_as_recorded"] and drill.checks["ledger_balances"]
    ages = backups.ages()
    assert 0 <= ages["backup_age_seconds"] < 600 and 0 <= ages["drill_age_seconds"] < 600


def test_a_drill_fails_on_a_damaged_dump_or_a_missing_row(transactional_db, backup_dirs):
    listed_sku(stock=5)
    backup = backups.make_backup()
    assert backup.status == Backup.Status.OK, backup.error

    Backup.objects.filter(pk=backup.pk).update(
        row_counts={**backup.row_counts, "catalog_sku": backup.row_counts["catalog_sku"] + 1}
    )
    drill = backups.restore_drill()
    assert drill.status == RestoreDrill.Status.FAILED
    assert drill.checks["tables_differing"]["catalog_sku"]["restored"] == 1

    with open(backup.dump_path, "r+b") as dump:
        dump.seek(200)
        dump.write(b"\\x00broken")
    drill = backups.restore_drill()
    assert drill.status == RestoreDrill.Status.FAILED and "checksum" in drill.error


def test_retention_keeps_7_daily_4_weekly_and_12_monthly():
    now = timezone.make_aware(datetime.datetime(2026, 12, 31, 12, 0))
    daily = [
        Backup(pk=n + 1, started_at=now - datetime.timedelta(days=n), status=Backup.Status.OK)
        for n in range(400)
    ]
    kept = backups.kept_backups(daily, now=now)
    days = sorted((now - b.started_at).days for b in daily if b.pk in kept)
    assert days[:7] == [0, 1, 2, 3, 4, 5, 6]  # the last 7 days
    assert len(kept) <= 7 + 4 + 12 and len(kept) >= 12
    assert max(days) < 366  # nothing older than the 12 months


def test_the_restore_command_refuses_a_non_empty_database(transactional_db, backup_dirs):
    listed_sku(stock=1)
    backup = backups.make_backup()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_backup", backup.dump_path)
    scratch = "mall_restore_command_test"
    backups._recreate(scratch)
    try:
        call_command("restore_backup", backup.dump_path, database_url=backups.database_url(scratch))
        assert backups.table_count(backups.database_url(scratch)) > 10
        with pytest.raises(CommandError, match="not empty"):
            call_command(
                "restore_backup", backup.dump_path, database_url=backups.database_url(scratch)
            )
        call_command(
            "restore_backup",
            backup.dump_path,
            database_url=backups.database_url(scratch),
            replace=True,
        )
    finally:
        backups._drop(scratch)


def test_readyz_and_the_back_office_show_the_ages(client, db):
    body = client.get("/readyz").json()
    assert body["backups"] == {"backup_age_seconds": None, "drill_age_seconds": None}
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/ops/backup/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Last good backup: — h ago · last passed drill: — h ago" in page

    # A backup made two minutes ago is 0.0 h old, not "none" (seen in a real run), and
    # the drill's list names it in the shop's time (UTC before).
    now = timezone.now()
    backup = Backup.objects.create(
        status=Backup.Status.OK,
        started_at=now - datetime.timedelta(minutes=3),
        finished_at=now - datetime.timedelta(minutes=2),
    )
    RestoreDrill.objects.create(
        backup=backup,
        status=RestoreDrill.Status.PASSED,
        started_at=now - datetime.timedelta(hours=3),
        finished_at=now - datetime.timedelta(hours=3),
    )
    body = client.get("/readyz").json()
    assert 110 <= body["backups"]["backup_age_seconds"] <= 200
    page = client.get("/admin/ops/restoredrill/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Last good backup: 0.0 h ago · last passed drill: 3.0 h ago" in page
    assert f"{timezone.localtime(backup.started_at):%Y-%m-%d %H:%M}" in page
