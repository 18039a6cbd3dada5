"""The weekly and monthly reviews mailed to managers: the period's KPIs against the period
before, and the targets (year and month) against the actual figures, from the daily facts.

``send_review_mails`` is idempotent per period and recipient: a ``ReviewMail`` row is made
once (unique constraint) and claimed by a conditional UPDATE before the mail leaves, so a
job run twice, or two workers at once, send each manager one mail per period."""

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import User
from mall.roles import MANAGER

from ..exceptions import AnalyticsError
from ..metrics import METRICS
from ..models import ReviewMail, ReviewPreference
from ..selectors.kpis import period_totals, target_progress

logger = logging.getLogger("analytics.reviews")

Kind = ReviewMail.Kind


def review_period(kind: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last complete period before ``today``: Monday to Sunday of last week, or last
    month."""
    if kind == Kind.WEEKLY:
        end = today - datetime.timedelta(days=today.weekday() + 1)
        return end - datetime.timedelta(days=6), end
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def _before(kind, start, end):
    if kind == Kind.WEEKLY:
        return start - datetime.timedelta(days=7), start - datetime.timedelta(days=1)
    before_end = start - datetime.timedelta(days=1)
    return before_end.replace(day=1), before_end


def _change(value, before):
    if value is None or before in (None, 0):
        return None
    return round((value - before) / abs(before) * 100, 1)


def review_context(
    kind: str, start: datetime.date, end: datetime.date, as_of: datetime.date
) -> dict:
    """What the mail says, language-free (labels are lazy): the period's KPI rows, and the
    targets of the period's year and month as of ``as_of`` (the last complete day: for a
    weekly review the month so far). A fixed number of queries."""
    totals = period_totals(since=start, until=end)
    before_start, before_end = _before(kind, start, end)
    before = period_totals(since=before_start, until=before_end)
    kpis = []
    for metric in METRICS:
        value, previous = metric.value(totals), metric.value(before)
        kpis.append({"metric": metric, "value": value, "change": _change(value, previous)})
    targets = []
    for item in target_progress(
        year=end.year, today=max(end, as_of) if as_of.year == end.year else end
    ):
        month = item["months"][end.month - 1]
        targets.append({**item, "month": month})
    return {
        "kind": kind,
        "start": start,
        "end": end,
        "kpis": kpis,
        "targets": targets,
        "site_url": settings.MALL_SITE_URL.rstrip("/"),
    }


def send_review_mails(*, kind: str, today: datetime.date | None = None) -> int:
    """Mail the review of the last complete week or month to every active manager with an
    email, each in their language (``ReviewPreference``, else the shop's), once per period;
    returns how many mails left now. A mail the server refused is released and raised
    (``OSError``), for the task to retry; the others already sent stay sent."""
    today = today or timezone.localdate()
    start, end = review_period(kind, today)
    managers = list(
        User.objects.filter(groups__name=MANAGER, is_active=True)
        .exclude(Q(email__isnull=True) | Q(email=""))
        .distinct()
        .values_list("pk", flat=True)
    )
    languages = dict(
        ReviewPreference.objects.filter(user__in=managers).values_list("user_id", "language")
    )
    ReviewMail.objects.bulk_create(
        [
            ReviewMail(
                kind=kind,
                period_start=start,
                period_end=end,
                recipient_id=pk,
                language=languages.get(pk, settings.LANGUAGE_CODE),
            )
            for pk in managers
        ],
        ignore_conflicts=True,
    )
    pending = ReviewMail.objects.filter(
        kind=kind, period_start=start, sent_at__isnull=True
    ).select_related("recipient")
    as_of = today - datetime.timedelta(days=1)
    context = review_context(kind, start, end, as_of) if pending else None
    sent = 0
    for mail in pending:
        claimed = ReviewMail.objects.filter(pk=mail.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
        if not claimed:
            continue  # another run has it
        with translation.override(mail.language):
            subject = render_to_string("analytics/review_subject.txt", context).strip()
            body = render_to_string("analytics/review_mail.txt", context)
        try:
            send_mail(subject, body, None, [mail.recipient.email])
        except OSError:
            ReviewMail.objects.filter(pk=mail.pk).update(sent_at=None)
            raise
        sent += 1
    logger.info("review mails sent", extra={"kind": kind, "period": str(start), "sent": sent})
    return sent


def set_review_language(*, user, language: str) -> ReviewPreference:
    """The language ``user``'s review mails are written in from the next one on. Raises
    ``AnalyticsError`` for a language the shop does not speak."""
    if language not in dict(settings.LANGUAGES):
        raise AnalyticsError(_("Choose one of the shop's languages."))
    preference, _created = ReviewPreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference
