"""Incidents: what went wrong in production, what it did to shoppers, what was done, why
it happened, and what is to be done so that it does not happen again."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Incident(models.Model):
    class Severity(models.TextChoices):
        CRITICAL = "critical", _("Critical: shoppers cannot buy or pay")
        MAJOR = "major", _("Major: a part of the shop is down or wrong")
        MINOR = "minor", _("Minor: degraded, with a way around")

    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    started_at = models.DateTimeField(pgettext_lazy("incident", "started at"), default=timezone.now)
    detected_at = models.DateTimeField(_("detected at"), null=True, blank=True)
    ended_at = models.DateTimeField(pgettext_lazy("incident", "ended at"), null=True, blank=True)
    impact = models.TextField(_("impact"), help_text=_("Who was affected, how, how many."))
    actions = models.TextField(_("actions taken"), blank=True, help_text=_("What was done, when."))
    cause = models.TextField(_("cause"), blank=True)
    follow_ups = models.TextField(
        _("follow-ups"), blank=True, help_text=_("What is to be done, by whom, by when.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="incident_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
