"""Analytics jobs: thin wrappers around the services (scheduled in mall/settings.py)."""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from mall.celery import RETRY_POLICY

from .services import exports, facts, ingestion, quality, recommendations, reviews, segments

QUALITY_DAYS = 7


@shared_task(**RETRY_POLICY)
def ingest_events() -> int:
    return ingestion.ingest_events()


@shared_task(**RETRY_POLICY)
def build_daily_facts() -> int:
    return facts.build_daily_facts()


@shared_task(**RETRY_POLICY)
def check_data_quality() -> int:
    """The last ``QUALITY_DAYS`` days before today (complete days only)."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    since = yesterday - datetime.timedelta(days=QUALITY_DAYS - 1)
    return len(quality.check_data_quality(since=since, until=yesterday))


@shared_task(**RETRY_POLICY)
def drop_expired_event_partitions() -> int:
    return len(ingestion.drop_expired_partitions(facts_built=facts.facts_built))


@shared_task(**RETRY_POLICY)
def build_product_pairs() -> int:
    return recommendations.build_product_pairs()


@shared_task(**RETRY_POLICY)
def build_customer_scores() -> int:
    return segments.build_customer_scores()


@shared_task(**RETRY_POLICY)
def build_report_export(export_id: int) -> str:
    return exports.build_export(export_id=export_id)


@shared_task(**RETRY_POLICY)
def expire_report_exports() -> int:
    return exports.expire_exports()


@shared_task(**{**RETRY_POLICY, "autoretry_for": (OperationalError, OSError)})
def send_weekly_review() -> int:
    return reviews.send_review_mails(kind="weekly")


@shared_task(**{**RETRY_POLICY, "autoretry_for": (OperationalError, OSError)})
def send_monthly_review() -> int:
    return reviews.send_review_mails(kind="monthly")
