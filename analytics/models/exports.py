"""Report exports: a report or segment written to CSV or XLSX by a Celery job
(``analytics.services.exports``), its progress kept on the row for the page to poll, the
file private to whoever asked and deleted when it expires."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportExport(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX (Excel)"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    report = models.CharField(_("report"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    # Shoppers' mobile numbers and emails: only for those allowed to export contacts
    # (managers), decided when the export is asked for.
    with_contacts = models.BooleanField(_("with contact details"), default=False)
    # The language of the page it was asked from: the worker writes the headers in it.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.IntegerField(_("rows"), null=True, blank=True)
    rows_done = models.IntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    # A message id (English, translated when shown) of why the job failed.
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("asked at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("report export")
        verbose_name_plural = _("report exports")
        permissions = [
            ("export_report", _("Can export reports and segments")),
            ("export_contacts", _("Can export shoppers' contact details")),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="analytics_export_owner"),
            models.Index(fields=["state", "expires_at"], name="analytics_export_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_done__gte=0), name="analytics_export_rows_done"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="analytics_export_expires_after",
            ),
        ]

    def __str__(self):
        return f"{self.report} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
