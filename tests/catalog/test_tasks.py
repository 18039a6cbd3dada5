"""The scheduled jobs of goods admission, run by a real Celery worker and as functions.

Worker tests commit their rows (``transactional_db``) so that the worker's own database
connection sees them, and put back the migrations' data (the staff groups) themselves.
"""

import datetime
import subprocess
import sys

from celery.schedules import crontab
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from catalog import tasks
from catalog.models import (
    Product,
    ProductStatusChange,
    QualificationDocument,
    SpotCheck,
    Supplier,
    SupplierStrike,
)
from catalog.services import admission
from mall.celery import app as celery_app
from tests.catalog.conftest import add_document, admit_and_list, make_ready_product, make_supplier

TODAY = timezone.localdate


def _listed_goods(supplier, category, actor, count):
    goods = []
    for _ in range(count):
        product = make_ready_product(supplier, category, actor)
        admit_and_list(product, actor)
        goods.append(product)
    return goods


def _food_permit(supplier):
    return supplier.documents.get(doc_type="food_permit")


# --- Schedule ------------------------------------------------------------------------------


def test_beat_runs_expiry_daily_and_sampling_monthly_in_shop_time(settings):
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    schedule = {entry["task"]: entry["schedule"] for entry in entries}
    daily = schedule["catalog.tasks.check_qualification_expiry"]
    monthly = schedule["catalog.tasks.sample_monthly_spot_checks"]
    assert daily == crontab(hour=2, minute=30)
    assert monthly == crontab(day_of_month=1, hour=3, minute=0)
    assert celery_app.conf.timezone == settings.TIME_ZONE == "Asia/Shanghai"


def test_a_fresh_worker_registers_the_scheduled_tasks(settings):
    # As a worker starts: tasks found by autodiscovery, not because this module imports them.
    registered = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mall.celery import app; app.loader.import_default_modules(); "
            "print('\\n'.join(app.tasks))",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered


def test_tasks_are_late_acked_and_retry_a_bounded_number_of_times():
    for task in (tasks.check_qualification_expiry, tasks.sample_monthly_spot_checks):
        assert task.acks_late is True
        assert task.autoretry_for == (OperationalError,)
        assert task.max_retries == 5
        assert task.retry_backoff


def test_a_lost_database_is_retried_then_given_up(monkeypatch):
    calls = []

    def unreachable(**kwargs):
        calls.append(kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(admission, "sample_spot_checks", unreachable)
    result = tasks.sample_monthly_spot_checks.apply(kwargs={"period": "2026-03-01"})
    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == 1 + tasks.sample_monthly_spot_checks.max_retries


def test_a_retried_run_succeeds_once_the_database_is_back(monkeypatch):
    outcomes = iter([OperationalError("the database system is starting up"), 3])

    def flaky(**kwargs):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(admission, "sample_spot_checks", flaky)
    result = tasks.sample_monthly_spot_checks.apply(kwargs={"period": "2026-03-01"})
    assert result.successful()
    assert result.result == 3


# --- Qualification expiry --------------------------------------------------------------------


def test_worker_warns_operators_once_about_a_permit_expiring_in_10_days(
    worker, transactional_db, supplier, operator
):
    QualificationDocument.objects.filter(pk=_food_permit(supplier).pk).update(
        valid_to=TODAY() + datetime.timedelta(days=10)
    )

    first = worker.run(tasks.check_qualification_expiry)
    second = worker.run(tasks.check_qualification_expiry)

    assert first == {"warned": 1, "suspended": 0}
    assert second == {"warned": 0, "suspended": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [operator.email]
    assert supplier.name in mail.outbox[0].subject
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED


def test_worker_suspends_the_supplier_the_day_after_expiry_and_delists_its_goods(
    worker, transactional_db, supplier, food, operator
):
    goods = _listed_goods(supplier, food, operator, 2)
    permit = _food_permit(supplier)
    permit.valid_to = TODAY() + datetime.timedelta(days=10)
    permit.save()
    day_after = (permit.valid_to + datetime.timedelta(days=1)).isoformat()

    first = worker.run(tasks.check_qualification_expiry, today=day_after)
    again = worker.run(tasks.check_qualification_expiry, today=day_after)

    assert first == {"warned": 0, "suspended": 1}
    assert again == {"warned": 0, "suspended": 0}
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    suspension = supplier.history.get(transition="suspend")
    assert suspension.actor is None  # the system acted
    assert permit.number in suspension.reason
    for product in goods:
        product.refresh_from_db()
        assert product.status == Product.Status.DELISTED
        change = ProductStatusChange.objects.get(subject=product, transition="delist")
        assert permit.number in change.reason
        assert "expired" in change.reason
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [operator.email]
    assert "suspended" in mail.outbox[0].subject
    assert "2 listed goods were delisted" in mail.outbox[0].body


def test_a_valid_replacement_of_the_same_type_prevents_suspension(supplier, food, operator):
    goods = _listed_goods(supplier, food, operator, 1)
    old = _food_permit(supplier)
    old.valid_to = TODAY() + datetime.timedelta(days=10)
    old.save()
    add_document(supplier, "food_permit", valid_to=TODAY() + datetime.timedelta(days=400))
    day_after = old.valid_to + datetime.timedelta(days=1)

    result = tasks.check_qualification_expiry(today=day_after.isoformat())

    assert result == {"warned": 0, "suspended": 0}
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED
    goods[0].refresh_from_db()
    assert goods[0].status == Product.Status.LISTED
    old.refresh_from_db()
    assert old.expired_handled_at is not None  # looked at once, not again every night
    assert mail.outbox == []


def test_expiry_as_a_function_warns_then_suspends(supplier, food, operator):
    _listed_goods(supplier, food, operator, 1)
    permit = _food_permit(supplier)
    permit.valid_to = TODAY() + datetime.timedelta(days=10)
    permit.save()

    assert tasks.check_qualification_expiry() == {"warned": 1, "suspended": 0}
    assert tasks.check_qualification_expiry() == {"warned": 0, "suspended": 0}
    after = (permit.valid_to + datetime.timedelta(days=1)).isoformat()
    assert tasks.check_qualification_expiry(today=after) == {"warned": 0, "suspended": 1}
    assert tasks.check_qualification_expiry(today=after) == {"warned": 0, "suspended": 0}
    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        "Qualification expires soon",
        "Supplier suspended",
    ]


# --- Spot checks ---------------------------------------------------------------------------


def test_worker_samples_a_share_of_each_suppliers_goods_once_a_month(
    worker, transactional_db, settings, food, operator
):
    settings.MALL_SPOT_CHECK_SHARE = 0.1
    big = make_supplier(categories=[food.parent])
    small = make_supplier(categories=[food.parent])
    idle = make_supplier(categories=[food.parent])  # approved, nothing listed
    suspended = make_supplier(categories=[food.parent])
    _listed_goods(big, food, operator, 20)
    _listed_goods(small, food, operator, 1)
    make_ready_product(idle, food, operator)  # a draft is never sampled
    _listed_goods(suspended, food, operator, 2)
    admission.suspend_supplier(supplier=suspended, actor=operator, reason="调查中")
    first_day = TODAY().replace(day=1)

    created = worker.run(tasks.sample_monthly_spot_checks, period=first_day.isoformat())
    again = worker.run(tasks.sample_monthly_spot_checks, period=first_day.isoformat())

    assert created == 3
    assert again == 0
    checks = SpotCheck.objects.filter(kind="sample")
    assert {check.period for check in checks} == {first_day}
    assert checks.filter(supplier=big).count() == 2  # 20 goods x 0.1
    assert checks.filter(supplier=small).count() == 1  # at least one
    assert not checks.filter(supplier__in=[idle, suspended]).exists()
    assert all(check.product.supplier_id == check.supplier_id for check in checks)


def test_sampling_as_a_function_uses_the_month_of_the_day_given(settings, supplier, food, operator):
    settings.MALL_SPOT_CHECK_SHARE = 0.5
    _listed_goods(supplier, food, operator, 4)

    assert tasks.sample_monthly_spot_checks(period="2026-03-01") == 2
    assert tasks.sample_monthly_spot_checks(period="2026-03-17") == 0  # same month
    assert tasks.sample_monthly_spot_checks(period="2026-04-01") == 2  # a new month
    sampled = SpotCheck.objects.filter(kind="sample")
    periods = sorted(set(sampled.values_list("period", flat=True)))
    assert periods == [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]


def _fail(check, operator, findings="标签与实物不符"):
    return admission.record_spot_check(check=check, actor=operator, passed=False, findings=findings)


def test_failed_spot_checks_delist_strike_and_the_third_in_a_year_suspends(
    settings, supplier, food, operator
):
    settings.MALL_SPOT_CHECK_SHARE = 1.0
    settings.MALL_SPOT_CHECK_STRIKE_LIMIT = 3
    goods = _listed_goods(supplier, food, operator, 6)
    assert tasks.sample_monthly_spot_checks() == 6
    checks = list(SpotCheck.objects.filter(kind="sample").order_by("pk"))

    # A strike older than 12 months no longer counts.
    _fail(checks[0], operator)
    SupplierStrike.objects.filter(spot_check=checks[0]).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    admission.record_spot_check(check=checks[1], actor=operator, passed=True, findings="")
    _fail(checks[2], operator, findings="净含量不足")
    _fail(checks[3], operator)

    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED  # two strikes within 12 months
    failed = Product.objects.get(pk=checks[2].product_id)
    assert failed.status == Product.Status.DELISTED
    change = ProductStatusChange.objects.get(subject=failed, transition="delist")
    assert change.reason == "Failed spot check: 净含量不足"
    assert change.actor == operator
    assert Product.objects.get(pk=checks[1].product_id).status == Product.Status.LISTED
    assert SupplierStrike.objects.filter(supplier=supplier).count() == 3

    _fail(checks[4], operator)

    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert "3 failed spot checks" in supplier.history.get(transition="suspend").reason
    statuses = set(
        Product.objects.filter(pk__in=[p.pk for p in goods]).values_list("status", flat=True)
    )
    assert statuses == {Product.Status.DELISTED}
    untouched = Product.objects.get(pk=checks[5].product_id)  # never failed, still delisted
    assert "Supplier suspended" in untouched.history.get(transition="delist").reason
    # A suspended supplier is not sampled next month.
    next_month = (TODAY().replace(day=28) + datetime.timedelta(days=7)).replace(day=1)
    assert tasks.sample_monthly_spot_checks(period=next_month.isoformat()) == 0
