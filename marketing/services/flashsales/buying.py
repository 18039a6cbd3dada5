"""One shopper's attempt at a flash sale: the Redis gate first, then the database step
(``place_order`` at the flash price, the claim, ``sold`` raised by a conditional UPDATE),
with the gate compensated when the database refuses."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from catalog.services import inventory
from customers.models import Address
from customers.sessions import resolve_user
from orders.exceptions import OrderRefused
from orders.models import Order
from orders.services import ordering

from ...exceptions import (
    NotEnoughLeft,
    NotYourAddress,
    OverLimit,
    SaleEnded,
    SaleNotStarted,
    SoldOut,
)
from ...models import FlashSale, FlashSaleClaim
from ..flash_gate import gate_enabled, give_back, pass_gate
from . import offers
from .scheduling import _constraint

# Unique constraints a concurrent attempt of the same shopper trips: their live claim, or
# this very submit's order (its claim's one-to-one link, or its idempotency key).
DUPLICATE_CONSTRAINTS = {
    "flash_claim_one_live_per_shopper",
    "orders_flashsaleclaim_order_id_key",
    "order_idempotency_key_once",
}


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

    ``user`` may be a ``customers.sessions.SessionShopper`` (who the session names, not
    yet read from the database): with the gate on and ``sale`` from
    ``selectors.sale_to_buy``, an attempt the gate refuses (sold out, over the limit) or
    the clock refuses then runs no SQL at all. Anything that goes on reads and checks
    the user row first.

    Raises ``SaleNotStarted``, ``SaleEnded``, ``SoldOut``, ``NotEnoughLeft``, ``OverLimit``,
    ``NotYourAddress``, ``customers.exceptions.NotSignedIn`` (the session no longer
    holds), and ``OrderRefused`` from ``place_order`` (address, shipping method, key, the
    goods no longer on sale, the stock short).
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
        user = resolve_user(user)
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
        user = resolve_user(user)  # NotSignedIn gives the units back (the last branch)
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
    if FlashSale.objects.filter(pk=sale.pk, sold__gte=F("quantity")).exists():
        offers.refresh(sale.sku_id)  # sold out: the flash price leaves the cards
    return order, False


def _refuse_if_short(left: int, quantity: int) -> None:
    if left <= 0:
        raise SoldOut()
    if left < quantity:
        raise NotEnoughLeft(left)
