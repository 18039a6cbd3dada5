"""Flash sales (秒杀): a Redis gate in front of PostgreSQL, so a crowd is answered fast and
the database sees only the winners.

A buy attempt, in order:

1. ``buy`` checks the sale's times and the quantity against the shopper's limit.
2. The gate (``flashsale_gate``), one Lua script in Redis, takes the units from the sale's
   counter only while enough remain and the shopper holds nothing yet; everyone else is
   answered from Redis. Keys (the braces keep one sale on one cluster slot):

   ``mall:flash-sale:{<id>}:left``     units the gate may still hand out
   ``mall:flash-sale:{<id>}:holders``  hash: shopper id -> "<units> <idempotency key>"

   A missing ``left`` key (a new sale, or Redis lost its data) is primed from the
   database: ``min(quantity - live claims, free stock)`` and a hold per live claim. The
   key of a hold tells a repeated submit (answered with its order) from a second purchase.
3. The database step, one transaction: ``place_order`` at the flash price (stock reserved,
   listing and address re-checked), the ``FlashSaleClaim`` row (its partial unique index:
   one live claim per shopper), then a conditional UPDATE ``sold + n <= quantity`` within
   the sale's times (with the CHECK ``sold <= quantity`` behind it). PostgreSQL is the
   final guard: with the gate off (``MALL_FLASH_SALE_GATE = "off"``) or Redis unreachable,
   attempts go straight to this step and still never oversell.
4. When the database step fails after the gate passed, the units go back to Redis
   (compensation), except where the failure proves them unsellable (the sale is sold out
   in the database, or the stock is short): the counter then only moves towards the truth.

Every imprecision of the counter errs on the side of "more left than there is" (which the
database refuses), except one: a process killed between the gate and the database step
keeps units in Redis that nobody holds. ``reconcile`` (beat, every minute) recomputes the
counters from the database, which also cures a lost Redis and claims whose order was
cancelled without giving them back. Cancelling a flash order (shopper, operator or the
unpaid-order job) calls ``release_claim`` in its transaction: ``sold`` falls and, on
commit, the units return to the gate.

Locks are taken in the order every order transaction uses (stock rows first, in
``place_order``; the sale row last), so a buy never deadlocks with a cancellation.

By step (the reads are ``marketing.selectors.flashsales``): ``scheduling`` (operators plan, end and
call off sales), ``buying`` (the attempt: gate, then the database step), ``claims`` (units
given back when an order is cancelled: the cancel hook), ``reconciling`` (the minute job).
Callers use the names re-exported here (``flashsales.buy``).
"""

from ...exceptions import (
    FlashSaleError,
    FlashSaleInvalid,
    NotEnoughLeft,
    NotYourAddress,
    OverLimit,
    SaleEnded,
    SaleNotStarted,
    SoldOut,
)
from .buying import DUPLICATE_CONSTRAINTS, buy
from .claims import release_claim
from .reconciling import reconcile
from .scheduling import OVERLAP_CONSTRAINT, call_off_sale, end_sale, sale_problems, schedule_sale

__all__ = [
    "DUPLICATE_CONSTRAINTS",
    "OVERLAP_CONSTRAINT",
    "FlashSaleError",
    "FlashSaleInvalid",
    "NotEnoughLeft",
    "NotYourAddress",
    "OverLimit",
    "SaleEnded",
    "SaleNotStarted",
    "SoldOut",
    "buy",
    "call_off_sale",
    "end_sale",
    "reconcile",
    "release_claim",
    "sale_problems",
    "schedule_sale",
]
