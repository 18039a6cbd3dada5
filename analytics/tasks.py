"""Analytics jobs: thin wrappers around the services (scheduled in mall/settings.py)."""

from celery import shared_task

from mall.celery import RETRY_POLICY

from .services import ingestion


@shared_task(**RETRY_POLICY)
def ingest_events() -> int:
    return ingestion.ingest_events()
