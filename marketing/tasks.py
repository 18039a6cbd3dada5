"""Background jobs of marketing: thin wrappers around ``marketing.services``."""

from celery import shared_task

from mall.celery import RETRY_POLICY

from .services import campaigns, coupons, flashsales, loyalty, promotions


@shared_task(**RETRY_POLICY)
def reconcile_flash_sales() -> dict[str, int]:
    """Every minute: recompute the flash-sale gates in Redis from the database (a crash
    between gate and database, a Redis that lost its data) and release claims of
    cancelled orders. Safe to run twice or at once: it only writes what the database says."""
    return flashsales.reconcile()


@shared_task(**RETRY_POLICY)
def advance_promotions() -> int:
    """Every minute: scheduled promotions whose start came are running, those whose end
    passed are ended, each with a history row. Safe to run twice or at once."""
    return promotions.advance_promotions()


@shared_task(**RETRY_POLICY)
def expire_coupons() -> int:
    """Hourly: usable coupons past their end are marked expired (a conditional UPDATE)."""
    return coupons.expire_coupons()


@shared_task(**RETRY_POLICY)
def remind_expiring_coupons() -> int:
    """Daily: shoppers hear of usable coupons that end within MALL_COUPON_REMIND_DAYS,
    once per coupon (``reminded_at`` is claimed by a conditional UPDATE first)."""
    return coupons.remind_expiring_coupons()


@shared_task(**RETRY_POLICY)
def advance_campaigns() -> dict[str, int]:
    """Every minute: approved campaigns whose start came run, running ones whose end
    passed end, each with a history row. Safe to run twice or at once (the state machine
    locks the row and refuses a step already taken)."""
    return campaigns.advance_campaigns()


@shared_task(**RETRY_POLICY)
def recompute_tiers() -> dict[str, int]:
    """Nightly: every member's tier recomputed in one SQL statement; downgrades only after
    the grace period, announced. Safe to run twice: the second run changes nothing."""
    return loyalty.recompute_tiers().as_dict()


@shared_task(**RETRY_POLICY)
def award_points() -> int:
    """Hourly: orders that can no longer be returned earn their points, once each."""
    return loyalty.award_points()


@shared_task(**RETRY_POLICY)
def expire_points() -> dict[str, int]:
    """Nightly: lots past their end expire, oldest first, once per shopper and day."""
    return loyalty.expire_points()


@shared_task(**RETRY_POLICY)
def remind_expiring_points() -> int:
    """Daily: within MALL_POINTS_REMIND_DAYS of the lots' end, shoppers hear once."""
    return loyalty.remind_expiring_points()


@shared_task(**RETRY_POLICY)
def birthday_gifts() -> int:
    """Daily: consenting shoppers get their birthday gift, once a year."""
    return loyalty.birthday_gifts()


@shared_task(**RETRY_POLICY)
def reconcile_points() -> int:
    """Nightly: balances against their ledgers; drift is logged, never fixed. Returns the
    number of accounts that drift."""
    return len(loyalty.reconcile_points())
