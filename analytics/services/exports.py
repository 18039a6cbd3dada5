"""Report exports as background jobs: asked for on a page, written by a Celery job with
its progress on the row, downloaded by whoever asked only, deleted when they expire."""

import datetime
import logging
import secrets
import tempfile

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mall.jobs import enqueue

from ..exceptions import ExportRefused
from ..models import ReportExport
from ..selectors.exports import REPORTS, BadParameters

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "analytics.export_report"
CONTACTS_PERMISSION = "analytics.export_contacts"
# Progress is written to the row every so many rows (one UPDATE each).
PROGRESS_EVERY = 500
State = ReportExport.State


def request_export(
    *, user, report: str, params: dict, file_format: str, with_contacts: bool, language: str
) -> ReportExport:
    """Queue an export of ``report`` with ``params`` for ``user`` and return it. Contact
    details (mobile numbers, emails) only for users allowed to export them. Raises
    ``ExportRefused`` (nothing queued) for a user without the permission, an unknown report
    or format, bad parameters, or contact details the user may not have."""
    if not user.has_perm(EXPORT_PERMISSION):
        raise ExportRefused(_("You may not export reports."))
    definition = REPORTS.get(report)
    if definition is None:
        raise ExportRefused(_("Choose one of the reports."))
    if file_format not in ReportExport.Format.values:
        raise ExportRefused(_("Choose CSV or XLSX."))
    with_contacts = bool(with_contacts and definition.has_contacts)
    if with_contacts and not user.has_perm(CONTACTS_PERMISSION):
        raise ExportRefused(_("Only managers may export shoppers' contact details."))
    try:
        cleaned = definition.clean(params)
    except BadParameters as error:
        raise ExportRefused(str(error)) from None
    now = timezone.now()
    with transaction.atomic():
        export = ReportExport.objects.create(
            requested_by=user,
            report=report,
            params=cleaned,
            file_format=file_format,
            with_contacts=with_contacts,
            language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.MALL_EXPORT_HOURS),
        )
        enqueue("analytics.tasks.build_report_export", export.pk)
    return export


def _claim(export_id: int) -> bool:
    """Queued (or running: a worker died mid-file and the message came back) -> running.
    False when it is done, failed or expired: a repeated message writes nothing."""
    return bool(
        ReportExport.objects.filter(
            pk=export_id, state__in=[State.QUEUED, State.RUNNING], expires_at__gt=timezone.now()
        ).update(state=State.RUNNING, rows_done=0)
    )


class _CsvWriter:
    def __init__(self, handle):
        import csv
        import io

        self.text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        self.text.write("\ufeff")  # so that Excel reads the Chinese as UTF-8
        self.writer = csv.writer(self.text)

    def write(self, row):
        self.writer.writerow(row)

    def close(self):
        self.text.flush()
        self.text.detach()


class _XlsxWriter:
    def __init__(self, handle):
        from openpyxl import Workbook

        self.handle = handle
        # Write-only: rows go to the file as they come, memory stays flat.
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet()

    def write(self, row):
        self.sheet.append(row)

    def close(self):
        self.book.save(self.handle)


def build_export(*, export_id: int) -> str:
    """Write the export's file and mark it ready; returns its state. Idempotent: a done,
    failed or expired export is left as it is, a running one (a worker that died) is
    written again from the start. Progress (rows written of the total) is committed every
    ``PROGRESS_EVERY`` rows for the page to show. A report that fails is marked failed
    (the reason logged); a database that goes away raises, for the task to retry."""
    try:
        return _build(export_id)
    except OperationalError:
        raise
    except Exception:
        logger.exception("report export %s failed", export_id)
        fail_export(export_id=export_id, reason=FAILED_MESSAGE)
        return State.FAILED


def _build(export_id: int) -> str:
    if not _claim(export_id):
        return ReportExport.objects.values_list("state", flat=True).get(pk=export_id)
    export = ReportExport.objects.get(pk=export_id)
    definition = REPORTS[export.report]
    rows = ReportExport.objects.filter(pk=export_id, state=State.RUNNING)
    total = definition.count(export.params)
    rows.update(rows_total=total)
    name = f"exports/{export.report}-{secrets.token_urlsafe(16)}.{export.file_format}"
    with tempfile.TemporaryFile() as handle, translation.override(export.language):
        writer = (_CsvWriter if export.file_format == "csv" else _XlsxWriter)(handle)
        writer.write(definition.headers(export.with_contacts))
        done = 0
        for row in definition.rows(export.params, with_contacts=export.with_contacts):
            writer.write(row)
            done += 1
            if done % PROGRESS_EVERY == 0:
                rows.update(rows_done=done)
        writer.close()
        handle.seek(0)
        stored = default_storage.save(name, File(handle, name=name))
    if not rows.update(
        state=State.DONE, file=stored, rows_done=done, rows_total=done, finished_at=timezone.now()
    ):
        default_storage.delete(stored)  # expired (or finished by another run) meanwhile
    return ReportExport.objects.values_list("state", flat=True).get(pk=export_id)


def fail_export(*, export_id: int, reason: str) -> None:
    """Mark a running export failed with ``reason`` (a message id, translated when shown)."""
    ReportExport.objects.filter(pk=export_id, state__in=[State.QUEUED, State.RUNNING]).update(
        state=State.FAILED, error=reason[:200], finished_at=timezone.now()
    )


FAILED_MESSAGE = gettext_noop("The export failed; please ask again or tell the developers.")


def expire_exports(*, now=None) -> int:
    """Delete the files of exports past their expiry and mark them expired; returns how
    many. Safe to run at any time and again."""
    now = now or timezone.now()
    expired = 0
    doomed = ReportExport.objects.filter(expires_at__lte=now).exclude(state=State.EXPIRED)
    for export in doomed.only("pk", "file").iterator(chunk_size=500):
        if export.file:
            default_storage.delete(export.file.name)
        expired += ReportExport.objects.filter(pk=export.pk).update(state=State.EXPIRED, file="")
    return expired
