"""Scheduled jobs of orders: thin wrappers around the order services."""

from celery import shared_task

from catalog.tasks import RETRY_POLICY

from .services import ordering


@shared_task(**RETRY_POLICY)
def cancel_unpaid_orders() -> int:
    """Every minute: cancel orders unpaid past their deadline and release their stock.
    Each order is cancelled once, however often this runs."""
    return ordering.cancel_unpaid_orders()
