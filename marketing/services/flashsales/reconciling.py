"""Making Redis and the database agree: the gate counters recomputed from the database,
claims of cancelled orders released. Safe at any time, and twice."""

import datetime
import logging

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from catalog.models import Product
from orders.models import Order

from ...models import FlashSale, FlashSaleClaim
from ..flash_gate import (
    drop_gate,
    forget_sale,
    gate_counters,
    gate_enabled,
    keep_sale,
    load_gate,
)
from . import offers
from .claims import _release

logger = logging.getLogger("marketing.flashsales")


# --- Reconciliation --------------------------------------------------------------------------


def reconcile(*, now=None) -> dict[str, int]:
    """Make Redis and the database agree; safe to run at any time, and twice.

    1. Live claims whose order is cancelled (a cancellation that did not release them)
       are released, each in its own transaction, and logged.
    2. A sale whose ``sold`` differs from its live claims is logged as drift for a person
       to explain; it is never rewritten here (the two change in one transaction).
    3. Every live sale's gate is rewritten from the database: units left (no more than
       the free stock) and the holds per shopper. This returns units a crashed attempt
       kept in Redis and refills a Redis that lost its data. While attempts are under way
       it may give the gate a few units too many, which the database refuses and the
       gate then drops; a cancellation committing during the rewrite may be missed until
       the next run. With the gate off the keys are dropped instead, so that turning it
       on primes them afresh. What attempts read of the sale is written again too
       (dropped for goods no longer listed), so a change that did not drop it lasts a
       minute at most.

    Returns counts: ``released``, ``drift``, ``gates`` (rewritten) and ``corrected``
    (gates whose counter was not what the database says).
    """
    now = now or timezone.now()
    counts = {"released": 0, "drift": 0, "gates": 0, "corrected": 0}
    stale = FlashSaleClaim.objects.filter(released=False, order__status=Order.Status.CANCELLED)
    for claim in list(stale.values("pk", "flash_sale_id", "user_id", "quantity")):
        with transaction.atomic():
            # The gates are rewritten from the database below: no give-back on top.
            if _release(claim, to_gate=False):
                counts["released"] += 1
                logger.warning("flash-sale claim of a cancelled order released", extra=claim)

    claimed = Sum("claims__quantity", filter=Q(claims__released=False), default=0)
    recent = FlashSale.objects.filter(
        ends_at__gt=now - datetime.timedelta(minutes=settings.MALL_PAYMENT_TIMEOUT_MINUTES + 60)
    ).annotate(claimed=claimed)
    for row in recent.values("pk", "sold", "claimed"):
        if row["sold"] != row["claimed"]:
            counts["drift"] += 1
            logger.error("flash sale drift: sold differs from its live claims", extra=row)

    live = FlashSale.objects.filter(starts_at__lte=now, ends_at__gt=now).select_related(
        "sku__product"
    )
    for sale in live:
        if not gate_enabled():
            drop_gate(sale.pk)
            continue
        if sale.sku.product.status == Product.Status.LISTED:
            keep_sale(sale)
        else:
            forget_sale(sale.pk)
        try:
            before = gate_counters([sale.pk])[sale.pk]
            load_gate(sale, force=True)
            after = gate_counters([sale.pk])[sale.pk]
        except redis.RedisError as error:
            logger.error(
                "flash-sale gate not reconciled", extra={"flash_sale": sale.pk, "error": str(error)}
            )
            continue
        counts["gates"] += 1
        if before != after:
            counts["corrected"] += 1
            logger.warning(
                "flash-sale gate corrected",
                extra={"flash_sale": sale.pk, "gate_left": before, "database_left": after},
            )
    # The flash prices the storefront shows follow the sales (a safety net: every change
    # of a sale refreshes them already).
    counts["offers"] = offers.refresh_all()
    return counts
