"""Background jobs of marketing: thin wrappers around ``marketing.services``."""

from celery import shared_task

from mall.celery import RETRY_POLICY

from .services import flashsales


@shared_task(**RETRY_POLICY)
def reconcile_flash_sales() -> dict[str, int]:
    """Every minute: recompute the flash-sale gates in Redis from the database (a crash
    between gate and database, a Redis that lost its data) and release claims of
    cancelled orders. Safe to run twice or at once: it only writes what the database says."""
    return flashsales.reconcile()
