"""Reservations: units held for an order line, from one warehouse or split over several
(the nearest first), under the CHECK constraints (so nothing can oversell); released on
cancellation or expiry, consumed at shipment, each step with its ledger row."""

import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone

from customers.regions import distance_km

from ...exceptions import CatalogError, InsufficientStock, ReservationClosed
from ...models import SKU, Reservation, Stock, StockMovement, Warehouse


def available_units(sku: SKU) -> int:
    """Units of ``sku`` that can still be reserved, over active warehouses."""
    total = (
        Stock.objects.sellable()
        .filter(sku=sku)
        .aggregate(units=Sum(F("on_hand") - F("reserved")))
        .get("units")
    )
    return max(total or 0, 0)


def _ranked(candidates, destination: str) -> list[tuple[int, int]]:
    """``(stock id, free units)`` of ``candidates`` (id, province, free) in the order the
    allocation rule takes them: nearest to ``destination`` first, then the fullest,
    then the oldest row."""
    ranked = sorted(candidates, key=lambda row: (distance_km(destination, row[1]), -row[2], row[0]))
    return [(stock_id, free) for stock_id, _province, free in ranked]


def _book(stock_id: int, quantity: int, *, reference, actor, ttl) -> Reservation:
    """The reservation row and its ledger row, for units already added to ``reserved``."""
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


@transaction.atomic
def reserve(
    *,
    sku: SKU,
    quantity: int,
    reference: str = "",
    actor=None,
    ttl: datetime.timedelta | None = None,
    destination: str = "",
) -> list[Reservation]:
    """Hold ``quantity`` units of ``sku`` in the active warehouses that have them, from
    one warehouse when one can, else split over several. Returns the reservations, one
    per warehouse, in the order taken; their quantities add up to ``quantity``.

    The allocation rule (``destination`` is the province the goods go to; without one
    every warehouse is equally near):

    1. One parcel if possible: the nearest warehouse that can fill the whole line (ties:
       the one with the most free units, then the oldest stock row) takes it.
    2. Otherwise the line is split: warehouses are taken nearest first (ties: fullest
       first), each giving all its free units, until the line is filled.

    "Nearest" is the distance between the provinces' capitals
    (``customers.regions.distance_km``); a warehouse in the destination's province is at
    0 km. So the line is refused only when the sellable units of every warehouse
    together are fewer than asked, which is exactly what pages show as available.

    Concurrency: a single-warehouse try is one conditional UPDATE, which PostgreSQL
    re-checks on the current row after waiting for a concurrent writer (in a savepoint
    rolled back when it fails, so a failed try holds no lock). A split locks every
    sellable stock row of the SKU in primary-key order first (so two splits never
    deadlock, and a single-warehouse holder never waits for a split of the same SKU)
    and takes the units from the locked rows. CHECK constraints refuse
    ``reserved > on_hand`` as the last guard.

    Raises ``InsufficientStock`` (with the units available over all warehouses) when
    they are fewer than ``quantity``, ``CatalogError`` for a quantity below one; nothing
    is written then. ``ttl`` sets when an unpaid reservation expires (see
    ``release_expired``).
    """
    if quantity < 1:
        raise CatalogError("Reserve at least one unit.")
    candidates = _ranked(
        Stock.objects.sellable()
        .filter(sku=sku)
        .annotate(free=F("on_hand") - F("reserved"))
        .filter(free__gt=0)
        .values_list("pk", "warehouse__province", "free"),
        destination,
    )
    for stock_id, free in candidates:
        if free < quantity:
            continue
        # The candidates were read from a snapshot: a stocktake may have frozen the row
        # (or the warehouse closed) since. ``frozen`` sits on the row the UPDATE locks, so
        # PostgreSQL re-checks it with the units after any concurrent writer. No join here
        # (a join would make Django move the whole filter into a sub-select, which is not
        # re-checked): the warehouse is a correlated EXISTS.
        # A failed try still holds the row when it waited for a concurrent writer
        # (PostgreSQL locks the newer row before re-checking it): its savepoint gives it
        # back, or a split of the same SKU locking rows in pk order could deadlock with
        # us trying the next warehouse.
        savepoint = transaction.savepoint() if len(candidates) > 1 else None
        taken = Stock.objects.filter(
            Exists(Warehouse.objects.filter(pk=OuterRef("warehouse_id"), is_active=True)),
            pk=stock_id,
            frozen=False,
            on_hand__gte=F("reserved") + quantity,
        ).update(reserved=F("reserved") + quantity)
        if taken:
            if savepoint:
                transaction.savepoint_commit(savepoint)
            return [_book(stock_id, quantity, reference=reference, actor=actor, ttl=ttl)]
        if savepoint:
            transaction.savepoint_rollback(savepoint)
        # Someone took it between our read and our update: try the next warehouse.
    return _reserve_split(
        sku=sku,
        quantity=quantity,
        reference=reference,
        actor=actor,
        ttl=ttl,
        destination=destination,
    )


def _reserve_split(*, sku, quantity, reference, actor, ttl, destination) -> list[Reservation]:
    # Locked in primary-key order, then read again: the units are those of the rows we
    # hold, so the plan below cannot be overtaken.
    locked = (
        Stock.objects.select_for_update(of=("self",))
        .filter(sku=sku, frozen=False, warehouse__is_active=True)
        .order_by("pk")
        .values_list("pk", "warehouse__province", "on_hand", "reserved")
    )
    rows = [(pk, province, on_hand - reserved) for pk, province, on_hand, reserved in locked]
    available = sum(max(free, 0) for _pk, _province, free in rows)
    if available < quantity:
        raise InsufficientStock(sku, quantity, available)
    ranked = _ranked([row for row in rows if row[2] > 0], destination)
    # Units freed since the first read may let one warehouse fill the line after all.
    whole = [(stock_id, free) for stock_id, free in ranked if free >= quantity]
    reservations, needed = [], quantity
    for stock_id, free in whole[:1] or ranked:
        take = min(free, needed)
        Stock.objects.filter(pk=stock_id).update(reserved=F("reserved") + take)
        reservations.append(_book(stock_id, take, reference=reference, actor=actor, ttl=ttl))
        needed -= take
        if not needed:
            break
    return reservations


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


def hold_until_shipped(*, reservations) -> int:
    """The order these open reservations belong to is paid: they no longer expire and
    stay until shipment consumes them (or a cancellation releases them). Returns how
    many were changed."""
    return Reservation.objects.filter(
        pk__in=[reservation.pk for reservation in reservations],
        status=Reservation.Status.OPEN,
    ).update(expires_at=None)


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
