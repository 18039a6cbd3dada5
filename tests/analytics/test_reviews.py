"""The weekly and monthly review mails: the last complete period's KPIs against the one
before and the targets, to each manager once per period, in the manager's language."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from analytics import tasks
from analytics.models import DailyKpi, ReviewMail, ReviewPreference
from analytics.services.reviews import review_period, send_review_mails
from analytics.services.targets import set_target
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.time_machine(MID_MONTH)

TODAY = MID_MONTH.date()  # Wednesday 2026-06-17


def _kpi(day, **figures):
    DailyKpi.objects.create(day=day, built_at=timezone.now(), **figures)


def test_the_periods_are_the_last_complete_week_and_month():
    assert review_period("weekly", TODAY) == (datetime.date(2026, 6, 8), datetime.date(2026, 6, 14))
    monday = datetime.date(2026, 6, 15)
    assert review_period("weekly", monday) == (
        datetime.date(2026, 6, 8),
        datetime.date(2026, 6, 14),
    )
    assert review_period("monthly", datetime.date(2026, 7, 1)) == (
        datetime.date(2026, 6, 1), datetime.date(2026, 6, 30),
    )  # fmt: skip
    assert review_period("monthly", datetime.date(2026, 1, 1))[0] == datetime.date(2025, 12, 1)


@pytest.fixture
def figures(db):
    boss = UserFactory(roles=["manager"])
    set_target(year=2026, metric="gmv", split="manual", actor=boss, months=["1000.00"] * 12)
    _kpi(datetime.date(2026, 6, 3), gmv=Decimal("400.00"), orders=4)  # the week before
    _kpi(datetime.date(2026, 6, 9), gmv=Decimal("600.00"), orders=5)  # the week reviewed
    _kpi(datetime.date(2026, 6, 16), gmv=Decimal("999.00"), orders=9)  # this week: not yet
    return boss


def test_each_manager_gets_one_mail_per_period_in_their_language(figures, mailoutbox, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the shop's language, for those who chose none
    english = figures
    ReviewPreference.objects.create(user=english, language="en")
    chinese = UserFactory(roles=["manager"])
    UserFactory(roles=["analyst"])  # not a manager: no mail
    UserFactory(roles=["manager"], email="")  # no address: no mail
    assert send_review_mails(kind="weekly", today=TODAY) == 2
    assert send_review_mails(kind="weekly", today=TODAY) == 0  # again: nothing more
    by_to = {message.to[0]: message for message in mailoutbox}
    assert set(by_to) == {english.email, chinese.email}
    en, zh = by_to[english.email], by_to[chinese.email]
    assert en.subject == "Weekly review 2026-06-08 – 2026-06-14"
    assert "- GMV: 600.00 (+50.0 %)" in en.body
    assert "- Orders: 5 (+25.0 %)" in en.body
    assert "2026-06 1999.00 of 1000.00" in en.body  # June so far (to yesterday)
    assert zh.subject.startswith("周报")
    assert "- 订单: 5 (+25.0 %)" in zh.body and "2026-06：1999.00 / 目标 1000.00" in zh.body
    assert ReviewMail.objects.filter(sent_at__isnull=False).count() == 2


def test_the_jobs_run_on_the_worker_once_per_period(worker, transactional_db, mailoutbox):
    UserFactory(roles=["manager"])
    _kpi(datetime.date(2026, 5, 20), gmv=Decimal("10.00"))
    assert worker.run(tasks.send_monthly_review) == 1
    assert worker.run(tasks.send_monthly_review) == 0
    assert worker.run(tasks.send_weekly_review) == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[0].subject in ("月报 2026-05", "Monthly review 2026-05")


def test_a_manager_chooses_the_language_of_their_reviews(client, db):
    from django.urls import reverse

    boss = UserFactory(roles=["manager"])
    client.force_login(boss)
    url = reverse("admin:analytics_review_mails")
    assert client.get(url).status_code == 200
    assert client.post(url, {"language": "en"}).status_code == 302
    assert ReviewPreference.objects.get(user=boss).language == "en"
    assert client.post(url, {"language": "fr"}).status_code == 200  # refused, kept
    assert ReviewPreference.objects.get(user=boss).language == "en"
    client.force_login(UserFactory(roles=["analyst"]))
    assert client.get(url).status_code == 403
