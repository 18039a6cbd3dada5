"""Backups and restore drills: each run recorded, with what it proved."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Backup(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Good")
        FAILED = "failed", _("Failed")
        PRUNED = "pruned", _("Removed by the retention rule")

    started_at = models.DateTimeField(pgettext_lazy("backup", "started at"), default=timezone.now)
    finished_at = models.DateTimeField(
        pgettext_lazy("backup", "finished at"), null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    dump_path = models.CharField(_("database dump"), max_length=500, blank=True)
    dump_sha256 = models.CharField(_("dump checksum (SHA-256)"), max_length=64, blank=True)
    dump_bytes = models.BigIntegerField(_("dump size (bytes)"), default=0)
    media_path = models.CharField(_("media archive"), max_length=500, blank=True)
    media_sha256 = models.CharField(_("media checksum (SHA-256)"), max_length=64, blank=True)
    copies = models.JSONField(_("copies"), default=list, blank=True)
    row_counts = models.JSONField(_("rows per table at backup time"), default=dict, blank=True)
    ledger = models.JSONField(_("stock ledger at backup time"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M} {self.get_status_display()}"


class RestoreDrill(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    backup = models.ForeignKey(
        Backup, verbose_name=_("backup"), null=True, on_delete=models.PROTECT, related_name="drills"
    )
    started_at = models.DateTimeField(pgettext_lazy("drill", "started at"), default=timezone.now)
    finished_at = models.DateTimeField(pgettext_lazy("drill", "finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    checks = models.JSONField(_("checks"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("restore drill")
        verbose_name_plural = _("restore drills")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M} {self.get_status_display()}"
