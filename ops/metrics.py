"""Prometheus metrics. django-prometheus counts requests, latency, responses by status
and database queries in every web process; this collector adds, read at scrape time from
the database and Redis (so any web process answers for the whole shop):

- ``mall_celery_queue_length{queue}``: messages waiting in each Celery queue;
- ``mall_celery_task_failures_total{task}``: task runs that failed, counted in Redis by
  every worker (``count_task_failure``, a ``task_failure`` receiver);
- ``mall_payments_failed_total``, ``mall_payment_notifications_rejected_total``;
- ``mall_stock_discrepancies_open``: stock drift found by the reconciliation job and
  not yet resolved;
- ``mall_backup_age_seconds``, ``mall_restore_drill_age_seconds`` (absent: none yet).

The alert rules that read them are in ops/prometheus/alerts.yml.
"""

import logging

from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from . import backups, health

logger = logging.getLogger("ops.metrics")

TASK_FAILURES_KEY = "mall:ops:task-failures"


def count_task_failure(sender=None, **kwargs) -> None:
    try:
        with health.redis_client() as client:
            client.hincrby(TASK_FAILURES_KEY, getattr(sender, "name", str(sender)), 1)
    except Exception:
        logger.warning("could not count a task failure", exc_info=True)


def _queues() -> list[str]:
    return sorted({"celery", *settings.MALL_CELERY_QUEUES})


class ShopCollector:
    def describe(self):
        # Without this, registering the collector would run collect() at start-up, which
        # reads the database while apps load.
        return []

    def collect(self):
        yield from self._celery()
        yield from self._database()

    def _celery(self):
        queue = GaugeMetricFamily(
            "mall_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        failures = CounterMetricFamily(
            "mall_celery_task_failures", "Celery task runs that failed.", labels=["task"]
        )
        try:
            with health.redis_client() as client:
                for name in _queues():
                    queue.add_metric([name], client.llen(name))
                for task, count in client.hgetall(TASK_FAILURES_KEY).items():
                    failures.add_metric([task.decode()], int(count))
        except Exception:
            logger.warning("Celery metrics unavailable", exc_info=True)
        yield queue
        yield failures

    def _database(self):
        from catalog.models import StockDiscrepancy
        from orders.models import Payment, PaymentNotification

        rejected = [
            PaymentNotification.Outcome.BAD_SIGNATURE,
            PaymentNotification.Outcome.WRONG_AMOUNT,
            PaymentNotification.Outcome.UNKNOWN,
        ]
        try:
            failed = Payment.objects.filter(status=Payment.Status.FAILED).count()
            refused = PaymentNotification.objects.filter(outcome__in=rejected).count()
            drift = StockDiscrepancy.objects.filter(resolved_at__isnull=True).count()
            ages = backups.ages()
        except Exception:
            logger.warning("database metrics unavailable", exc_info=True)
            return
        yield CounterMetricFamily("mall_payments_failed", "Payments that failed.", value=failed)
        yield CounterMetricFamily(
            "mall_payment_notifications_rejected",
            "Payment notifications rejected (bad signature, wrong amount, unknown payment).",
            value=refused,
        )
        yield GaugeMetricFamily(
            "mall_stock_discrepancies_open", "Stock drift found and not resolved.", value=drift
        )
        for name, key, text in (
            ("mall_backup_age_seconds", "backup_age_seconds", "Age of the last good backup."),
            (
                "mall_restore_drill_age_seconds",
                "drill_age_seconds",
                "Age of the last passed drill.",
            ),
        ):
            if ages[key] is not None:
                yield GaugeMetricFamily(name, text, value=ages[key])
