"""Scheduled jobs of goods admission: thin wrappers around ``catalog.services.admission``.

Both are safe to run twice or to retry: the services remember what they already did (a
document is warned about and handled once; a product is sampled once a month). They
take dates as ISO strings (JSON-friendly, for a manual re-run of a past day); without
one they use the shop's local date. A lost database connection is retried with backoff;
any other error fails the run loudly and the next scheduled run picks up what is left.
"""

import datetime

from celery import shared_task
from django.utils import timezone

from mall.celery import RETRY_POLICY

from .services import admission, counting, inventory, low_stock, pricing
from .services import search as search_services


def _day(value: str | None) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**RETRY_POLICY)
def check_qualification_expiry(today: str | None = None) -> dict[str, int]:
    """Daily: warn operators of documents about to expire, then suspend the suppliers
    whose needed documents have lapsed (their goods are delisted)."""
    day = _day(today)
    return {
        "warned": admission.warn_expiring_documents(today=day),
        "suspended": admission.suspend_suppliers_with_expired_documents(today=day),
    }


@shared_task(**RETRY_POLICY)
def sample_monthly_spot_checks(period: str | None = None) -> int:
    """Monthly, on the 1st: sample listed goods of every approved supplier for checking."""
    return admission.sample_spot_checks(period=_day(period))


@shared_task(**RETRY_POLICY)
def release_expired_reservations() -> int:
    """Every few minutes: give back the stock of reservations whose time ran out (an
    order never paid). Each reservation is closed once, however often this runs."""
    return inventory.release_expired()


@shared_task(**RETRY_POLICY)
def reconcile_stock() -> dict[str, int]:
    """Hourly: release expired reservations, then check that every stock row agrees with
    its ledger and its open reservations, recording any drift for operators. It never
    changes stock, and an open finding is updated rather than repeated: safe to rerun."""
    return inventory.reconcile_stock()


@shared_task(**RETRY_POLICY)
def apply_scheduled_price_changes() -> dict[str, int]:
    """Every minute: apply the approved price changes whose time has come. A change whose
    "was" price no longer passes the honest-price rule is cancelled with its figures."""
    return pricing.apply_due_price_changes()


@shared_task(**RETRY_POLICY)
def classify_abc() -> dict[str, int]:
    """Nightly: rank the SKUs by sales value into ABC classes (how often they are
    counted). It recomputes from the ledger, so a rerun changes nothing."""
    return counting.classify_abc()


@shared_task(**RETRY_POLICY)
def schedule_cycle_counts(today: str | None = None) -> dict[str, int]:
    """Daily: open each warehouse's share of cycle counts for the day. A warehouse with a
    count in progress (the first run's) is skipped, so a rerun opens nothing more."""
    return counting.schedule_cycle_counts(today=_day(today))


@shared_task(**RETRY_POLICY)
def raise_low_stock_alerts() -> dict[str, int]:
    """Every five minutes: tell operators once of SKUs that fell to their reorder point
    (one open alert per SKU) and clear those back above it."""
    return low_stock.raise_low_stock_alerts()


@shared_task(**RETRY_POLICY)
def follow_up_re_reviews(today: str | None = None) -> dict[str, int]:
    """Daily: re-review tasks (with a reminder) for suppliers due soon, suspension of
    those left past the grace period. Once per due date; a suspension once."""
    return admission.follow_up_re_reviews(today=_day(today))


@shared_task(**RETRY_POLICY)
def rebuild_search_terms() -> int:
    """Hourly: the vocabulary of the listed goods' words (pinyin, autosuggest, "did you
    mean"), rebuilt from the search index. Replaces the whole table: safe to rerun."""
    return search_services.rebuild_search_terms()
