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
"""

import copy
import datetime
import logging
import time
from decimal import Decimal, InvalidOperation

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import SKU, Product
from catalog.services import inventory
from customers.models import Address
from mall.money import to_money
from orders.exceptions import OrderError, OrderRefused
from orders.models import Order
from orders.services import ordering

from ..models import FlashSale, FlashSaleClaim
from .flash_gate import (
    ANY_HOLD,
    drop_gate,
    gate_counters,
    gate_enabled,
    give_back,
    load_gate,
    pass_gate,
)

logger = logging.getLogger("marketing.flashsales")

# Unique constraints a concurrent attempt of the same shopper trips: their live claim, or
# this very submit's order (its claim's one-to-one link, or its idempotency key).
DUPLICATE_CONSTRAINTS = {
    "flash_claim_one_live_per_shopper",
    "orders_flashsaleclaim_order_id_key",
    "order_idempotency_key_once",
}
OVERLAP_CONSTRAINT = "flash_sale_no_overlap"


# --- Errors ----------------------------------------------------------------------------------


class FlashSaleError(OrderError):
    """A flash-sale action refused; ``str(error)`` speaks to the shopper or operator and
    ``code`` is a stable word for the API."""

    code = "refused"


class FlashSaleInvalid(FlashSaleError):
    """A sale cannot be scheduled as asked; ``problems`` lists every reason."""

    code = "invalid"

    def __init__(self, problems: list[str]):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))


class SaleNotStarted(FlashSaleError):
    code = "not_started"

    def __init__(self, starts_at):
        self.starts_at = starts_at
        when = date_format(timezone.localtime(starts_at), "Y-m-d H:i")
        super().__init__(_("This flash sale starts at %(when)s.") % {"when": when})


class SaleEnded(FlashSaleError):
    code = "ended"

    def __init__(self):
        super().__init__(_("This flash sale has ended."))


class SoldOut(FlashSaleError):
    code = "sold_out"

    def __init__(self):
        super().__init__(_("Sold out: every unit of this flash sale has been claimed."))


class NotEnoughLeft(FlashSaleError):
    code = "not_enough"

    def __init__(self, left: int):
        self.left = left
        super().__init__(
            _("Only %(left)s left in this flash sale: please ask for fewer.") % {"left": left}
        )


class NotYourAddress(FlashSaleError):
    code = "address"

    def __init__(self):
        super().__init__(_("Choose one of your own addresses."))


class OverLimit(FlashSaleError):
    """More than the per-shopper limit, or the shopper already holds units of the sale
    (one live order per shopper and sale)."""

    code = "over_limit"

    def __init__(self, limit: int, *, holding: bool = False):
        self.limit = limit
        self.holding = holding
        if holding:
            message = _(
                "You already have an order from this flash sale (at most %(limit)s per "
                "shopper). Cancelling it lets you buy again."
            )
        else:
            message = _("At most %(limit)s per shopper in this flash sale.")
        super().__init__(message % {"limit": limit})


# --- Reading sales ---------------------------------------------------------------------------


def current_sales(*, now=None):
    """Sales live or upcoming, of listed goods, soonest first, with SKU and product joined:
    one query. For the storefront and the API."""
    now = now or timezone.now()
    return (
        FlashSale.objects.filter(ends_at__gt=now, sku__product__status=Product.Status.LISTED)
        .select_related("sku__product")
        .order_by("starts_at", "pk")
    )


def public_sales():
    """Every sale of listed goods (ended ones too), SKU and product joined."""
    return FlashSale.objects.filter(sku__product__status=Product.Status.LISTED).select_related(
        "sku__product"
    )


_sales_to_buy: dict[int, tuple[float, FlashSale]] = {}


def sale_to_buy(pk) -> FlashSale:
    """The sale ``pk`` of listed goods, for a buy attempt, kept in this process for
    ``MALL_FLASH_SALE_CACHE_SECONDS``: a crowd asks for it with every attempt, and the
    database step checks the times and the units again, so a sale ended (or goods
    delisted) a moment ago only costs a refused database step. Raises
    ``FlashSale.DoesNotExist``."""
    pk = int(pk)
    kept = _sales_to_buy.get(pk)
    if kept is None or kept[0] < time.monotonic():
        sale = FlashSale.objects.filter(sku__product__status=Product.Status.LISTED).get(pk=pk)
        if len(_sales_to_buy) > 1000:  # old sales are not asked for again
            _sales_to_buy.clear()
        kept = _sales_to_buy[pk] = (time.monotonic() + settings.MALL_FLASH_SALE_CACHE_SECONDS, sale)
    return copy.copy(kept[1])  # each attempt its own instance to refresh or change


def sale_for_sku(sku, *, now=None) -> FlashSale | None:
    """The live sale of ``sku``, else its next upcoming one, else ``None``: one query."""
    now = now or timezone.now()
    return FlashSale.objects.filter(sku=sku, ends_at__gt=now).order_by("starts_at", "pk").first()


# --- Scheduling ------------------------------------------------------------------------------


def _as_price(value) -> Decimal | None:
    try:
        return to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def sale_problems(
    *,
    sku,
    price,
    quantity: int,
    per_shopper_limit: int,
    starts_at,
    ends_at,
) -> list[str]:
    """Every reason a sale of ``sku`` as described cannot be scheduled (empty when it can):
    the goods must be on sale with a current price; the flash price above zero and below
    that price; at least one unit, a limit of at least one and at most the units; an end
    after the start and in the future; no other sale of the SKU overlapping the times; and
    free stock for every unit now. Three queries."""
    now = timezone.now()
    problems = []
    amount = _as_price(price)
    if amount is None or amount <= 0:
        problems.append(_("The flash price must be above zero."))
    if quantity is None or int(quantity) < 1:
        problems.append(_("Offer at least one unit."))
    if per_shopper_limit is None or int(per_shopper_limit) < 1:
        problems.append(_("The limit per shopper must be at least one."))
    elif quantity and int(per_shopper_limit) > int(quantity):
        problems.append(_("The limit per shopper cannot be more than the units offered."))
    if starts_at is None or ends_at is None:
        problems.append(_("Give the start and the end of the sale."))
    elif ends_at <= starts_at:
        problems.append(_("The sale must end after it starts."))
    elif ends_at <= now:
        problems.append(_("The sale must end in the future."))
    if sku is None:
        problems.append(_("Choose the SKU on sale."))
        return problems
    current = catalog_selectors.skus_to_order([sku.pk]).get(sku.pk)
    if current is None or not current.on_sale or current.price is None:
        problems.append(_("“%(sku)s” is not on sale: list it with a price first.") % {"sku": sku})
    else:
        if amount is not None and amount > 0 and amount >= current.price:
            problems.append(
                _("The flash price must be below the current price %(price)s.")
                % {"price": current.price}
            )
        if quantity and int(quantity) > current.available:
            problems.append(
                _("Only %(available)s unit(s) of “%(sku)s” are free in stock for %(quantity)s.")
                % {"available": max(current.available, 0), "sku": sku, "quantity": quantity}
            )
    if starts_at is not None and ends_at is not None and ends_at > starts_at:
        other = (
            FlashSale.objects.filter(sku=sku, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .order_by("starts_at")
            .first()
        )
        if other is not None:
            problems.append(_overlap_message(other))
    return problems


def _overlap_message(other: FlashSale | None = None) -> str:
    if other is None:
        return _("Another flash sale of this SKU overlaps these times.")
    return _("Another flash sale of this SKU runs from %(start)s to %(end)s.") % {
        "start": date_format(timezone.localtime(other.starts_at), "Y-m-d H:i"),
        "end": date_format(timezone.localtime(other.ends_at), "Y-m-d H:i"),
    }


def _constraint(error: IntegrityError) -> str:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""


def schedule_sale(
    *,
    sku,
    price,
    quantity: int,
    per_shopper_limit: int,
    starts_at,
    ends_at,
    actor,
) -> FlashSale:
    """Schedule a flash sale of ``sku``: ``quantity`` units at ``price`` from ``starts_at``
    to ``ends_at``, at most ``per_shopper_limit`` per shopper. Checks everything
    ``sale_problems`` lists; the exclusion constraint refuses an overlapping sale that an
    operator scheduled at the same moment. The stock is checked, not reserved: each order
    reserves its units as usual.

    Raises ``FlashSaleInvalid`` with every problem; nothing is written then.
    """
    problems = sale_problems(
        sku=sku,
        price=price,
        quantity=quantity,
        per_shopper_limit=per_shopper_limit,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if problems:
        raise FlashSaleInvalid(problems)
    try:
        with transaction.atomic():
            sale = FlashSale.objects.create(
                sku=sku,
                price=to_money(price),
                quantity=int(quantity),
                per_shopper_limit=int(per_shopper_limit),
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=actor,
            )
    except IntegrityError as error:
        if _constraint(error) == OVERLAP_CONSTRAINT:
            raise FlashSaleInvalid([_overlap_message()]) from None
        raise
    logger.info(
        "flash sale scheduled",
        extra={
            "flash_sale": sale.pk,
            "sku": sku.pk,
            "quantity": sale.quantity,
            "actor": _id(actor),
        },
    )
    return sale


@transaction.atomic
def end_sale(*, sale: FlashSale, actor, now=None) -> FlashSale:
    """End a live sale now: no attempt passes afterwards (the database step checks the
    times too). Orders already placed stay. Raises ``FlashSaleInvalid`` unless it is live."""
    now = now or timezone.now()
    ended = FlashSale.objects.filter(pk=sale.pk, starts_at__lte=now, ends_at__gt=now).update(
        ends_at=now
    )
    if not ended:
        raise FlashSaleInvalid([_("Only a live sale can be ended; an upcoming one is called off.")])
    sale.refresh_from_db()
    logger.info("flash sale ended early", extra={"flash_sale": sale.pk, "actor": _id(actor)})
    return sale


@transaction.atomic
def call_off_sale(*, sale: FlashSale, actor, now=None) -> None:
    """Delete a sale that has not started (nobody can hold a claim on it yet). Raises
    ``FlashSaleInvalid`` once it has started: a started sale is ended, never deleted."""
    now = now or timezone.now()
    deleted, _rows = FlashSale.objects.filter(pk=sale.pk, starts_at__gt=now, sold=0).delete()
    if not deleted:
        raise FlashSaleInvalid([_("A sale that has started cannot be called off: end it.")])
    logger.info("flash sale called off", extra={"flash_sale": sale.pk, "actor": _id(actor)})


def _id(user):
    return getattr(user, "pk", None)


# --- Buying ----------------------------------------------------------------------------------


def buy(
    *,
    sale: FlashSale,
    user,
    quantity: int,
    address,
    shipping_method: str,
    idempotency_key: str,
    now=None,
) -> Order:
    """One shopper's attempt at a flash sale: ``quantity`` units of its SKU at its price,
    delivered to ``address`` by ``shipping_method``. ``address`` may be given as an id:
    it is then looked up (among the shopper's own) only once the gate let the attempt
    through, so that a refused crowd costs the database nothing.

    Guarantees: the sale never sells more than its quantity and a shopper never holds
    more than one live claim (of at most the per-shopper limit) however many attempts
    arrive at once, with or without the Redis gate; a refused attempt writes nothing and
    leaves the gate as it found it (or nearer the truth). A repeated ``idempotency_key``
    of the shopper (a double click, a retried request, even while the first is still
    running) returns the order placed in this sale with it. The order is a normal one
    (``place_order``): it awaits payment until ``pay_by``, and its cancellation returns
    the units to the sale.

    Raises ``SaleNotStarted``, ``SaleEnded``, ``SoldOut``, ``NotEnoughLeft``, ``OverLimit``,
    ``NotYourAddress``, and ``OrderRefused`` from ``place_order`` (address, shipping
    method, key, the goods no longer on sale, the stock short).
    """
    now = now or timezone.now()
    quantity = int(quantity)
    if now < sale.starts_at:
        raise SaleNotStarted(sale.starts_at)
    if now >= sale.ends_at:
        raise SaleEnded()
    if quantity < 1:
        raise OrderRefused([_("Order at least one.")])
    if quantity > sale.per_shopper_limit:
        raise OverLimit(sale.per_shopper_limit)
    if not idempotency_key or len(idempotency_key) > 64:
        raise OrderRefused([_("The order form has expired: please submit it again.")])

    answer = (
        pass_gate(sale=sale, user=user, quantity=quantity, idempotency_key=idempotency_key)
        if gate_enabled()
        else None
    )
    if answer is not None and answer.verdict == "limit":
        if answer.holder_key != idempotency_key:
            raise OverLimit(sale.per_shopper_limit, holding=answer.value > 0)
        # The same submit again: its order, once the first attempt is through (the
        # database step waits for it on the order's unique key).
        placed = _placed_in_sale(sale=sale, user=user, idempotency_key=idempotency_key)
        if placed is not None:
            return placed
        answer = None
    if answer is not None and answer.verdict == "short":
        raise SoldOut() if answer.value <= 0 else NotEnoughLeft(answer.value)
    gated = answer is not None and answer.verdict == "ok"

    def compensate(*, units: int, hold: str) -> None:
        if gated:
            give_back(sale_id=sale.pk, user_id=user.pk, units=units, hold=hold)

    try:
        order, repeated = _claim_and_place(
            sale=sale,
            user=user,
            quantity=quantity,
            address=address,
            shipping_method=shipping_method,
            idempotency_key=idempotency_key,
        )
    except IntegrityError as error:
        if _constraint(error) not in DUPLICATE_CONSTRAINTS:
            compensate(units=quantity, hold=idempotency_key)
            raise
        # Another attempt of this shopper committed first: this very submit sent twice
        # (its order is the answer), or another purchase (the shopper holds units).
        placed = _placed_in_sale(sale=sale, user=user, idempotency_key=idempotency_key)
        if placed is None:
            compensate(units=quantity, hold="")
            raise OverLimit(sale.per_shopper_limit, holding=True) from None
        repeated, order = True, placed
    except OverLimit:
        compensate(units=quantity, hold="")  # a hold the gate did not know of
        raise
    except (SoldOut, NotEnoughLeft, SaleEnded, SaleNotStarted):
        # The database says these units are gone: the counter was too high; keep it lower.
        compensate(units=0, hold=idempotency_key)
        raise
    except OrderRefused:
        if gated:
            stock_short = inventory.available_units(SKU(pk=sale.sku_id)) < quantity
            compensate(units=0 if stock_short else quantity, hold=idempotency_key)
        raise
    except BaseException:
        compensate(units=quantity, hold=idempotency_key)
        raise
    if repeated and order.flash_claim.released:
        # The submit's order was cancelled since: the units this attempt took are free.
        compensate(units=quantity, hold=idempotency_key)
    # A repeat whose order holds a live claim keeps what the gate took: the gate counts
    # units once per submit (its hold), and the order, whichever attempt of the submit
    # placed it, holds them.
    return order


def _placed_in_sale(*, sale, user, idempotency_key) -> Order | None:
    """The order this shopper placed in ``sale`` with ``idempotency_key``, if any."""
    return (
        Order.objects.filter(
            user=user, idempotency_key=idempotency_key, flash_claim__flash_sale=sale
        )
        .select_related("flash_claim")
        .first()
    )


@transaction.atomic
def _claim_and_place(
    *, sale, user, quantity, address, shipping_method, idempotency_key
) -> tuple[Order, bool]:
    """The database step of ``buy``: (the order, True) for a key already used in this sale;
    else places the order, writes the claim and raises ``sold``, all or nothing."""
    state = (
        FlashSale.objects.filter(pk=sale.pk)
        .annotate(
            holding=Exists(
                FlashSaleClaim.objects.filter(flash_sale=OuterRef("pk"), user=user, released=False)
            ),
            keyed_order=Subquery(
                Order.objects.filter(user=user, idempotency_key=idempotency_key).values("pk")[:1]
            ),
        )
        .values("quantity", "sold", "ends_at", "holding", "keyed_order")
        .get()
    )
    if state["keyed_order"] is not None:
        placed = _placed_in_sale(sale=sale, user=user, idempotency_key=idempotency_key)
        if placed is None:  # the key placed another order (a cart checkout)
            raise OrderRefused([_("The order form has expired: please submit it again.")])
        return placed, True
    if state["holding"]:
        raise OverLimit(sale.per_shopper_limit, holding=True)
    # Cheap refusals before any lock, for the crowd when the gate is off.
    if timezone.now() >= state["ends_at"]:
        raise SaleEnded()
    _refuse_if_short(state["quantity"] - state["sold"], quantity)
    if not isinstance(address, Address):
        address = Address.objects.filter(pk=address, user=user).first()
    if address is None or address.user_id != user.pk:
        raise NotYourAddress()

    order = ordering.place_order(
        user=user,
        address=address,
        items=[(sale.sku_id, quantity)],
        shipping_method=shipping_method,
        idempotency_key=idempotency_key,
        unit_prices={sale.sku_id: sale.price},
    )
    FlashSaleClaim.objects.create(flash_sale=sale, user=user, order=order, quantity=quantity)
    now = timezone.now()
    taken = FlashSale.objects.filter(
        pk=sale.pk,
        sold__lte=F("quantity") - quantity,
        starts_at__lte=now,
        ends_at__gt=now,
    ).update(sold=F("sold") + quantity)
    if not taken:
        latest = FlashSale.objects.values("quantity", "sold", "starts_at", "ends_at").get(
            pk=sale.pk
        )
        if now < latest["starts_at"]:
            raise SaleNotStarted(latest["starts_at"])
        if now >= latest["ends_at"]:
            raise SaleEnded()
        _refuse_if_short(latest["quantity"] - latest["sold"], quantity)
        raise SoldOut()  # pragma: no cover - the UPDATE and the re-read disagree
    return order, False


def _refuse_if_short(left: int, quantity: int) -> None:
    if left <= 0:
        raise SoldOut()
    if left < quantity:
        raise NotEnoughLeft(left)


# --- Giving units back -----------------------------------------------------------------------


@ordering.register_cancel_hook
def release_claim(*, order) -> None:
    """The flash-sale claim of ``order`` (if any) gives its units back to the sale: the
    order was cancelled or never paid. Runs inside the caller's transaction; the Redis
    counter follows on commit. Does nothing for an order without a live claim."""
    claim = (
        FlashSaleClaim.objects.filter(order_id=order.pk, released=False)
        .values("pk", "flash_sale_id", "user_id", "quantity")
        .first()
    )
    if claim is None:
        return
    _release(claim)


def _release(claim: dict, *, to_gate: bool = True) -> bool:
    # Conditional: released once, however many cancellation paths meet.
    if not FlashSaleClaim.objects.filter(pk=claim["pk"], released=False).update(released=True):
        return False
    FlashSale.objects.filter(pk=claim["flash_sale_id"]).update(sold=F("sold") - claim["quantity"])
    if to_gate and gate_enabled():
        transaction.on_commit(
            lambda: give_back(
                sale_id=claim["flash_sale_id"],
                user_id=claim["user_id"],
                units=claim["quantity"],
                hold=ANY_HOLD,
            )
        )
    return True


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
       on primes them afresh.

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

    live = FlashSale.objects.filter(starts_at__lte=now, ends_at__gt=now)
    for sale in live:
        if not gate_enabled():
            drop_gate(sale.pk)
            continue
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
    return counts
