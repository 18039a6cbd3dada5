"""Stock changes. Every change writes a movement, so the ledger of a stock row always sums
to its ``on_hand`` (and its ``reserved_change`` column to ``reserved``).

Reservations never oversell: each is a conditional UPDATE (``on_hand - reserved >= n``
in the WHERE clause), which PostgreSQL re-checks on the current row after waiting for a
concurrent writer, and CHECK constraints refuse ``reserved > on_hand`` as the last guard.
"""

import datetime

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from ..exceptions import CatalogError, InsufficientStock, ReasonRequired, ReservationClosed
from ..models import SKU, Reservation, Stock, StockMovement, Warehouse


@transaction.atomic
def book_movement(
    *,
    stock: Stock,
    kind: str,
    quantity: int,
    actor,
    reason: str = "",
    reference: str = "",
) -> StockMovement:
    """Change ``on_hand`` of ``stock`` by ``quantity`` (signed, not zero) and write the
    movement of ``kind``, in one transaction: the one way stock levels change besides
    reservations.

    A decrease is a conditional UPDATE that never takes ``on_hand`` below ``reserved``
    (units held for orders cannot vanish); it raises ``InsufficientStock`` with the units
    free when it would. Raises ``CatalogError`` for a zero quantity and ``ReasonRequired``
    for a manual adjustment without a reason.
    """
    if quantity == 0:
        raise CatalogError("A movement must change the stock.")
    if kind == StockMovement.Kind.ADJUSTMENT and not reason.strip():
        raise ReasonRequired()
    rows = Stock.objects.filter(pk=stock.pk)
    if quantity < 0:
        rows = rows.filter(on_hand__gte=F("reserved") - quantity)
    if not rows.update(on_hand=F("on_hand") + quantity):
        stock.refresh_from_db()
        raise InsufficientStock(stock.sku, -quantity, max(stock.on_hand - stock.reserved, 0))
    return StockMovement.objects.create(
        stock=stock,
        kind=kind,
        quantity=quantity,
        reason=reason,
        reference=reference,
        actor=actor,
    )


@transaction.atomic
def receive_stock(
    *, sku: SKU, warehouse: Warehouse, quantity: int, actor, reference: str = ""
) -> Stock:
    """Book a purchase receipt: ``on_hand`` grows by ``quantity`` (> 0), with a movement."""
    if quantity <= 0:
        raise CatalogError("A receipt must add at least one unit.")
    stock, _ = Stock.objects.get_or_create(sku=sku, warehouse=warehouse)
    book_movement(
        stock=stock,
        kind=StockMovement.Kind.RECEIPT,
        quantity=quantity,
        actor=actor,
        reference=reference,
    )
    stock.refresh_from_db()
    return stock


def available_units(sku: SKU) -> int:
    """Units of ``sku`` that can still be reserved, over active warehouses."""
    total = (
        Stock.objects.sellable()
        .filter(sku=sku)
        .aggregate(units=Sum(F("on_hand") - F("reserved")))
        .get("units")
    )
    return max(total or 0, 0)


@transaction.atomic
def reserve(
    *,
    sku: SKU,
    quantity: int,
    reference: str = "",
    actor=None,
    ttl: datetime.timedelta | None = None,
) -> Reservation:
    """Hold ``quantity`` units of ``sku`` in one active warehouse that has them.

    Warehouses are tried from the most available down; each try is one conditional
    UPDATE, so concurrent buyers can never take more than there is. Raises
    ``InsufficientStock`` (with the units available) when no single warehouse can fill
    it, ``CatalogError`` for a quantity below one. ``ttl`` sets when an unpaid
    reservation expires (see ``release_expired``).
    """
    if quantity < 1:
        raise CatalogError("Reserve at least one unit.")
    candidates = (
        Stock.objects.sellable()
        .filter(sku=sku)
        .annotate(free=F("on_hand") - F("reserved"))
        .filter(free__gte=quantity)
        .order_by("-free", "pk")
        .values_list("pk", flat=True)
    )
    for stock_id in candidates:
        taken = Stock.objects.filter(pk=stock_id, on_hand__gte=F("reserved") + quantity).update(
            reserved=F("reserved") + quantity
        )
        if taken:
            reservation = Reservation.objects.create(
                stock_id=stock_id,
                quantity=quantity,
                reference=reference,
                expires_at=timezone.now() + ttl if ttl else None,
            )
            StockMovement.objects.create(
                stock_id=stock_id,
                kind=StockMovement.Kind.RESERVATION,
                quantity=0,
                reserved_change=quantity,
                reference=reference or f"reservation {reservation.pk}",
                actor=actor,
            )
            return reservation
        # Someone took it between our read and our update: try the next warehouse.
    raise InsufficientStock(sku, quantity, available_units(sku))


def _close(reservation: Reservation, status: str) -> Reservation:
    """Move an open reservation to ``status`` exactly once (a conditional UPDATE)."""
    now = timezone.now()
    closed = Reservation.objects.filter(pk=reservation.pk, status=Reservation.Status.OPEN).update(
        status=status, closed_at=now
    )
    reservation.refresh_from_db()
    if not closed:
        raise ReservationClosed(reservation)
    return reservation


@transaction.atomic
def release(*, reservation: Reservation, actor=None, reason: str = "", expired=False) -> None:
    """Give the units of an open reservation back (order cancelled or never paid).
    Raises ``ReservationClosed`` when it was already released, expired or consumed."""
    status = Reservation.Status.EXPIRED if expired else Reservation.Status.RELEASED
    reservation = _close(reservation, status)
    Stock.objects.filter(pk=reservation.stock_id).update(
        reserved=F("reserved") - reservation.quantity
    )
    StockMovement.objects.create(
        stock_id=reservation.stock_id,
        kind=StockMovement.Kind.RELEASE,
        quantity=0,
        reserved_change=-reservation.quantity,
        reason=reason,
        reference=reservation.reference or f"reservation {reservation.pk}",
        actor=actor,
    )


@transaction.atomic
def consume(*, reservation: Reservation, actor=None) -> None:
    """The reserved units leave the warehouse (shipped): ``on_hand`` and ``reserved``
    both fall. Raises ``ReservationClosed`` unless the reservation is open."""
    reservation = _close(reservation, Reservation.Status.CONSUMED)
    Stock.objects.filter(pk=reservation.stock_id).update(
        on_hand=F("on_hand") - reservation.quantity,
        reserved=F("reserved") - reservation.quantity,
    )
    StockMovement.objects.create(
        stock_id=reservation.stock_id,
        kind=StockMovement.Kind.SALE,
        quantity=-reservation.quantity,
        reserved_change=-reservation.quantity,
        reference=reservation.reference or f"reservation {reservation.pk}",
        actor=actor,
    )


def release_expired(*, now=None) -> int:
    """Release every open reservation past its expiry; returns how many. Safe to run
    concurrently: each reservation is closed once."""
    now = now or timezone.now()
    released = 0
    due = Reservation.objects.filter(
        status=Reservation.Status.OPEN, expires_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            release(reservation=Reservation(pk=pk), reason="expired", expired=True)
        except ReservationClosed:
            continue
        released += 1
    return released
