"""Placing, cancelling and timing out orders.

``place_order`` is atomic and idempotent: one ``idempotency_key`` per shopper gives one
order however often the submit arrives (double click, network retry, the API's
``Idempotency-Key`` header), and a refusal writes nothing. Stock is held through
``catalog.services.inventory.reserve`` (which cannot oversell) and given back through
``release`` when an order is cancelled or never paid.
"""

import contextlib
import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from catalog.exceptions import CatalogError, InsufficientStock, ReservationClosed
from catalog.services import inventory, pricing
from mall.labels import Label
from mall.numbers import new_number
from mall.statemachine import IllegalTransition, transition
from mall.tracking import record_event

from ..exceptions import OrderRefused, TotalChanged
from ..models import (
    ORDER_MACHINE,
    SOLD,
    CartLine,
    Order,
    OrderDiscount,
    OrderLine,
    OrderLineDiscount,
    OrderLineReservation,
    OrderStatusChange,
)
from . import fulfilment, payments
from . import risk_review as review
from .checkout import SHIPPING_METHODS, PricedLine, compute_totals, price_lines

# pg_advisory_xact_lock(namespace, hash): the first number keeps these locks apart from
# any other advisory lock the shop may take.
SUBMISSION_LOCK_NAMESPACE = 4242


@contextlib.contextmanager
def submission(*, user, idempotency_key: str) -> Iterator[Order | None]:
    """The transaction one order submission runs in, holding its key: a second
    submission of the same shopper with the same key waits at the door until the first
    has committed (or rolled back), then finds its order. Yields the order already
    placed with this key, or ``None``; the caller checks the cart and calls
    ``place_order`` inside only when it is ``None``. This is what makes two simultaneous
    submissions answer the same order, where the unique constraint alone would let the
    second one look at a cart the first just emptied ("your cart is empty").

    Commits when the block ends; anything raised inside rolls it back."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [SUBMISSION_LOCK_NAMESPACE, f"{user.pk}:{idempotency_key}"],
            )
        yield Order.objects.filter(user=user, idempotency_key=idempotency_key).first()


def place_order(
    *,
    user,
    address,
    items: list[tuple[int, int]],
    shipping_method: str,
    idempotency_key: str,
    invoice_title: str = "",
    tax_number: str = "",
    expected_total: Decimal | None = None,
    cart=None,
    unit_prices: dict[int, Decimal] | None = None,
    choices: dict[str, list[str]] | None = None,
) -> Order:
    """Place an order for ``items`` (``(sku_id, quantity)``) to ``address``.

    Re-checks listing, price and stock now; prices it with ``compute_totals`` (the
    discount sources with the shopper's ``choices``: coupon, gift cards); reserves every
    line's units, gifts with purchase included (in SKU order, so two orders never wait on
    each other crosswise; a gift out of stock is left out; a line no warehouse can fill
    alone is split over several, the nearest to the address first: ``inventory.reserve``);
    snapshots name, SKU, price and picture into the lines; keeps every discount per
    source and per line, to the cent;
    runs the placement hooks (marketing locks the coupon and takes the gift cards'
    balance); flags it for an operator's review when it looks risky; writes the first
    timeline entry; removes the ordered SKUs from ``cart``. An order with nothing left to
    pay through a provider is paid at once. ``unit_prices`` (SKU id -> price) replaces
    the list price of those SKUs: a flash sale's price, which its own service has checked
    (such lines are ``special``: promotions leave them alone unless the sale allows). A
    repeated ``idempotency_key`` of the same shopper returns the first order and does
    nothing else.

    A newly placed order carries what was committed with it, ``placed_lines`` and
    ``placed_history``, so that the answer to the shopper can be built without reading
    the database again (which may be gone by then, and the order placed all the same).

    Raises ``OrderRefused`` listing every problem (an address not the shopper's, an
    unknown shipping method, nothing to order, goods gone, stock short) and
    ``TotalChanged`` when ``expected_total`` (what the shopper saw) differs from the
    total now, and what a placement hook raises (an ``OrderRefused``: the coupon was just
    used by another order, the gift card's balance is gone). Nothing is written when it
    raises.
    """
    existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
    if existing:
        return existing
    try:
        return _place(
            user=user,
            address=address,
            items=items,
            shipping_method=shipping_method,
            idempotency_key=idempotency_key,
            invoice_title=invoice_title,
            tax_number=tax_number,
            expected_total=expected_total,
            cart=cart,
            unit_prices=unit_prices or {},
            choices=choices or {},
        )
    except IntegrityError:
        # The same submit won a race against this one: its order is the answer.
        existing = Order.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def _place(
    *,
    user,
    address,
    items,
    shipping_method,
    idempotency_key,
    invoice_title,
    tax_number,
    expected_total,
    cart,
    unit_prices,
    choices,
) -> Order:
    problems = []
    if address is None or address.user_id != user.pk:
        problems.append(_("Choose one of your own addresses."))
    if shipping_method not in SHIPPING_METHODS:
        problems.append(_("Choose a shipping method."))
    if not idempotency_key or len(idempotency_key) > 64:
        problems.append(_("The order form has expired: please submit it again."))
    merged: dict[int, int] = {}
    for sku_id, quantity in items:
        if int(quantity) < 1:
            problems.append(_("Order at least one of each item."))
        merged[int(sku_id)] = merged.get(int(sku_id), 0) + int(quantity)
    if not merged:
        problems.append(_("There is nothing to order."))
    if problems:
        raise OrderRefused(problems)
    lines, problems = price_lines(sorted(merged.items()))
    if problems:
        raise OrderRefused(problems)
    lines = [
        PricedLine(line.sku, line.quantity, unit_prices[line.sku.pk], special=True)
        if line.sku.pk in unit_prices
        else line
        for line in lines
    ]
    totals = compute_totals(
        lines=lines,
        province=address.province,
        method=shipping_method,
        user=user,
        choices=choices,
    )
    if expected_total is not None and Decimal(expected_total) != totals.total:
        raise TotalChanged(Decimal(expected_total), totals.total)
    now = timezone.now()
    pay_by = now + datetime.timedelta(minutes=settings.MALL_PAYMENT_TIMEOUT_MINUTES)
    order = Order.objects.create(
        number=new_number(),
        user=user,
        recipient=address.recipient,
        mobile=address.mobile,
        province=address.province,
        city=address.city,
        district=address.district,
        street=address.street,
        postal_code=address.postal_code,
        shipping_method=shipping_method,
        goods_total=totals.goods_total,
        shipping_fee=totals.shipping_fee,
        discount_total=totals.discount_total,
        shipping_discount=totals.shipping_discount,
        total=totals.total,
        stored_value_paid=totals.stored_value_total,
        invoice_title=invoice_title.strip(),
        tax_number=tax_number.strip(),
        idempotency_key=idempotency_key,
        placed_at=now,
        pay_by=pay_by,
    )
    # A safety net: the unpaid-order job releases first, with the order.
    ttl = pay_by - now + datetime.timedelta(minutes=10)
    wanted = [(line.sku.pk, 0, line) for line in lines] + [
        (gift.sku.pk, 1, gift) for gift in totals.gifts
    ]
    placed = []
    for _sku_id, is_gift, line in sorted(wanted, key=lambda row: row[:2]):
        try:
            reservations = inventory.reserve(
                sku=line.sku,
                quantity=line.quantity,
                reference=order.number,
                actor=user,
                ttl=ttl,
                # Split over warehouses when none has it all, the nearest first.
                destination=address.province,
            )
        except InsufficientStock as error:
            if is_gift:
                continue  # the gift ran out: the order goes without it
            raise OrderRefused([str(error)]) from error
        placed.append(_order_line(order, line, reservations, totals, gift=bool(is_gift)))
    order.placed_lines = sorted(placed, key=lambda line: line.pk)
    _keep_discounts(order, totals, placed)
    order.placed_history = OrderStatusChange.objects.create(
        subject=order, transition="place", from_state="", to_state=order.status, actor=user
    )
    for hook in _placement_hooks:
        hook(order=order, totals=totals, user=user)
    review.flag_if_risky(order=order)
    if order.amount_due == 0:
        payments.settle_without_provider(order=order, actor=user)
    if cart is not None:
        CartLine.objects.filter(cart=cart, sku_id__in=merged).delete()
    record_event(
        "order_placed",
        order=order.pk,
        user=user.pk,
        amount=order.total,
        quantity=sum(line.quantity for line in lines),
        lines=[
            [line.sku.pk, line.sku.product_id, line.quantity, str(line.line_total)]
            for line in lines
        ],
    )
    return order


def _order_line(order, line, reservations, totals, *, gift: bool) -> OrderLine:
    """The order line of a priced line or a gift, its discount to the cent, and its
    parts: one reservation per warehouse the units are taken from."""
    sku = line.sku
    order_line = OrderLine.objects.create(
        order=order,
        sku=sku,
        product_name=sku.product.name,
        sku_code=sku.code,
        sku_label=sku.spec_label,
        image=getattr(sku, "thumb", None) or "",
        unit_price=Decimal("0.00") if gift else line.unit_price,
        quantity=line.quantity,
        line_total=Decimal("0.00") if gift else line.line_total,
        discount_total=Decimal("0.00") if gift else totals.line_discount(sku.pk),
        gift_source=line.source if gift else "",
        gift_value=line.value if gift else Decimal("0.00"),
    )
    OrderLineReservation.objects.bulk_create(
        OrderLineReservation(order_line=order_line, reservation=reservation)
        for reservation in reservations
    )
    return order_line


def _keep_discounts(order: Order, totals, placed: list[OrderLine]) -> None:
    """Every discount per source (with its explanation) and per line, two INSERTs."""
    order.placed_discounts = OrderDiscount.objects.bulk_create(
        OrderDiscount(
            order=order,
            source=discount.source,
            kind=discount.kind,
            label=_label_json(discount.label),
            amount=discount.amount,
            position=position,
        )
        for position, discount in enumerate(totals.discounts)
    )
    by_sku = {line.sku_id: line for line in placed if not line.is_gift}
    OrderLineDiscount.objects.bulk_create(
        OrderLineDiscount(line=by_sku[sku_id], source=part.source, amount=part.amount)
        for sku_id, parts in totals.line_discounts.items()
        for part in parts
    )


def _label_json(label) -> dict:
    return label.to_json() if isinstance(label, Label) else Label.from_json(str(label)).to_json()


# What the floors above orders do when an order is placed (marketing: the coupon is
# locked to the order, the gift cards' balance taken). Each hook is called with
# ``order=``, ``totals=`` (what ``compute_totals`` answered) and ``user=`` inside the
# placement's transaction, after the lines and discounts are written; it refuses with an
# ``OrderRefused`` (nothing is written then).
PlacementHook = Callable[..., None]
_placement_hooks: list[PlacementHook] = []


def register_placement_hook(hook: PlacementHook) -> PlacementHook:
    """Have ``hook(order=..., totals=..., user=...)`` run in every placement. A decorator;
    registering the same hook twice keeps one."""
    if hook not in _placement_hooks:
        _placement_hooks.append(hook)
    return hook


def _release_lines(order: Order, *, actor, reason: str, expired: bool = False) -> None:
    parts = OrderLineReservation.objects.filter(order_line__order=order).select_related(
        "reservation"
    )
    # By SKU, then stock row: the order in which stock rows are locked everywhere.
    for part in parts.order_by("order_line__sku_id", "reservation__stock_id"):
        try:
            inventory.release(
                reservation=part.reservation, actor=actor, reason=reason, expired=expired
            )
        except ReservationClosed:
            continue  # its own expiry released it already


# What the floors above orders do when an order is cancelled (marketing: a flash-sale
# claim gives its units back to the sale). Each hook is called with ``order=`` inside the
# cancellation's transaction, after the stock went back; it must be idempotent (a
# cancellation can be retried) and may raise only to abort the whole cancellation.
CancelHook = Callable[..., None]
_cancel_hooks: list[CancelHook] = []


def register_cancel_hook(hook: CancelHook) -> CancelHook:
    """Have ``hook(order=...)`` run in every cancellation (shopper, operator, unpaid
    timeout). A decorator; registering the same hook twice keeps one."""
    if hook not in _cancel_hooks:
        _cancel_hooks.append(hook)
    return hook


def _after_cancel(order: Order, *, actor, reason: str, expired: bool = False) -> None:
    """What every cancellation does besides the transition, in its transaction: the
    stock goes back, open payments close, and the registered cancel hooks run."""
    _release_lines(order, actor=actor, reason=reason, expired=expired)
    payments.close_open_payments(order=order, reason=reason)
    for hook in _cancel_hooks:
        hook(order=order)


def can_cancel(order: Order) -> bool:
    """Whether ``order`` may still be cancelled: it awaits payment, is paid, or is in
    fulfilment with every parcel still in the warehouse (one query then)."""
    if not ORDER_MACHINE.can(order, "cancel"):
        return False
    return order.status != Order.Status.IN_FULFILMENT or not fulfilment.parcels_gone(order)


@transaction.atomic
def cancel_order(*, order: Order, actor, reason: str) -> Order:
    """Cancel an order before shipment and give its stock back; a paid order is
    refunded in full through its payment provider. In fulfilment, its shipments still in
    the warehouse are withdrawn (off the pick lists). Only its shopper or an operator
    acts (the caller checks who); the reason is recorded on the timeline.

    Raises ``OrderRefused`` without a reason, ``FulfilmentError`` once a parcel has left
    the warehouse, and ``IllegalTransition`` unless the order awaits payment, is paid or
    is in fulfilment. Nothing changes then.
    """
    if not reason.strip():
        raise OrderRefused([_("Say why the order is cancelled.")])
    # Locked first: a payment arriving now waits, then finds the order cancelled and is
    # refunded by the notification handler; a parcel being shipped now waits, then finds
    # its shipment withdrawn.
    order.status = (
        Order.objects.select_for_update().values_list("status", flat=True).get(pk=order.pk)
    )
    was_paid = order.status in (Order.Status.PAID, Order.Status.IN_FULFILMENT)
    ORDER_MACHINE.check(order, "cancel")
    if order.status == Order.Status.IN_FULFILMENT:
        fulfilment.withdraw_shipments(order=order, actor=actor, reason=reason.strip())
    transition(
        order, ORDER_MACHINE, "cancel", history=OrderStatusChange, actor=actor, reason=reason
    )
    _after_cancel(order, actor=actor, reason=reason)
    if was_paid:
        payments.refund_order(
            order=order, actor=actor, reason=reason, idempotency_key=f"cancel-{order.number}"
        )
    return order


def cancel_unpaid_orders(*, now=None) -> int:
    """Cancel every order still unpaid after its ``pay_by`` and release its stock;
    returns how many. Each order in its own transaction; safe to run twice or at once."""
    now = now or timezone.now()
    due = Order.objects.filter(status=Order.Status.PENDING_PAYMENT, pay_by__lte=now).values_list(
        "pk", flat=True
    )
    cancelled = 0
    for pk in list(due):
        try:
            with transaction.atomic():
                order = Order.objects.get(pk=pk)
                transition(
                    order,
                    ORDER_MACHINE,
                    "expire",
                    history=OrderStatusChange,
                    reason=Label(gettext_noop("not paid in time")),
                )
                _after_cancel(order, actor=None, reason="unpaid", expired=True)
        except (IllegalTransition, CatalogError):
            continue  # paid or cancelled meanwhile
        cancelled += 1
    return cancelled


@pricing.register_sold_price_source
def lowest_prices_sold(windows) -> dict[int, Decimal]:
    """The lowest unit price each SKU was sold at (paid orders) in its window, in one
    query, for the honest "was" price rule of ``catalog.services.pricing``."""
    condition = Q()
    for sku_id, since, until in windows:
        condition |= Q(sku_id=sku_id, order__placed_at__gte=since, order__placed_at__lt=until)
    if not condition:
        return {}
    rows = (
        OrderLine.objects.filter(condition, order__status__in=SOLD)
        .values("sku_id")
        .annotate(lowest=Min("unit_price"))
    )
    return {row["sku_id"]: row["lowest"] for row in rows}
