"""The weekly and monthly review mails to managers: one row per period and recipient, so
a period's mail goes to each manager once however often the job runs, and the language
each manager reads it in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewMail(models.Model):
    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("weekly review")
        MONTHLY = "monthly", _("monthly review")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    language = models.CharField(_("language"), max_length=10)
    # Set when the mail is handed to the mail server (a conditional UPDATE claims it first).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review mail")
        verbose_name_plural = _("review mails")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start", "recipient"], name="analytics_review_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.period_start} {self.recipient_id}"


class ReviewPreference(models.Model):
    """The language a manager reads the review mails in (the shop's language unless set)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("review mail language")
        verbose_name_plural = _("review mail languages")

    def __str__(self):
        return f"{self.user_id}: {self.language}"
