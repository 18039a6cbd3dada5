"""Scheduled jobs of orders: thin wrappers around the order services."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from mall.celery import RETRY_POLICY

from .models import Refund
from .providers.adapters import sandbox_gateway
from .providers.base import ProviderError
from .services import ordering, payments


@shared_task(**RETRY_POLICY)
def cancel_unpaid_orders() -> int:
    """Every minute: cancel orders unpaid past their deadline and release their stock.
    Each order is cancelled once, however often this runs."""
    return ordering.cancel_unpaid_orders()


# --- Payments ------------------------------------------------------------------------------


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=len(settings.MALL_SANDBOX_NOTIFY_RETRY_DELAYS),
    retry_backoff=30,
)
def deliver_sandbox_notification(self, trade_id: int) -> str:
    """The sandbox provider tells the shop about a settled trade: POST the signed
    notification to the trade's notify URL, again after each of
    ``MALL_SANDBOX_NOTIFY_RETRY_DELAYS`` until the shop answers "success" (as Alipay
    does), then give up (the shop's ``confirm_open_payments`` asks instead). Sends
    nothing once acknowledged, so a duplicate run is harmless."""
    result = sandbox_gateway.deliver_notification(trade_id)
    if result == sandbox_gateway.RETRY:
        delays = settings.MALL_SANDBOX_NOTIFY_RETRY_DELAYS
        if self.request.retries < len(delays):
            raise self.retry(countdown=delays[self.request.retries])
        return "given up"
    return result


@shared_task(**{**RETRY_POLICY, "autoretry_for": (OperationalError, ProviderError)})
def submit_refund(refund_id: int) -> str:
    """Send a refund to its provider, enqueued when the refund is committed. Retried with
    backoff while the provider cannot be reached; the provider pays once per refund
    number, so a retry or a duplicate run never pays twice."""
    return payments.submit_refund(refund=Refund(pk=refund_id)).status


@shared_task(**RETRY_POLICY)
def reconcile_payment_bills() -> dict:
    """Daily: compare yesterday's bill of each provider with the shop's books and record
    what differs for operators (Bill reconciliations in the admin)."""
    return payments.reconcile_payment_bills()


@shared_task(**RETRY_POLICY)
def confirm_open_payments() -> int:
    """Every two minutes: ask the provider about payments still open (a notification may
    be late or lost) and close those no longer wanted."""
    return payments.confirm_open_payments()


@shared_task(**RETRY_POLICY)
def resubmit_pending_refunds() -> int:
    """Every five minutes: submit again refunds still pending (their task was lost or
    gave up)."""
    return payments.resubmit_pending_refunds()


# --- Fulfilment and logistics ---------------------------------------------------------------


@shared_task(**RETRY_POLICY)
def allocate_paid_orders() -> int:
    """Every minute: paid orders not waiting for a risk review become shipments on the
    warehouses' pick lists. An order is allocated once, however often this runs."""
    from .services import fulfilment

    return fulfilment.allocate_paid_orders()


@shared_task(**RETRY_POLICY)
def poll_shipments(now: str | None = None) -> dict[str, int]:
    """Every five minutes: ask the carriers about open shipments due for a poll (batched,
    with backoff), store their events once, record deliveries and losses, and open
    exception cases for delayed, lost and damaged parcels. ``now`` (ISO 8601) simulates
    another moment for the sandbox carrier. Safe to run twice or at once."""
    import datetime

    from .services import logistics

    moment = datetime.datetime.fromisoformat(now) if now else None
    return logistics.poll_shipments(now=moment).as_dict()


@shared_task(**RETRY_POLICY)
def complete_delivered_orders() -> int:
    """Hourly: complete orders delivered ``MALL_AUTO_COMPLETE_DAYS`` ago without an open
    after-sales or logistics case. Each order is completed once."""
    from .services import fulfilment

    return fulfilment.complete_delivered_orders()
