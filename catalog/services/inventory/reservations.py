"""Reservations: units held for an order with one conditional UPDATE under the CHECK
constraints (so nothing can oversell), released on cancellation or expiry, consumed at
shipment, each step with its ledger row."""

import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone

from ...exceptions import CatalogError, InsufficientStock, ReservationClosed
from ...models import SKU, Reservation, Stock, StockMovement, Warehouse
from .. import pages


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
        # The candidates were read from a snapshot: a stocktake may have frozen the row
        # (or the warehouse closed) since. ``frozen`` sits on the row the UPDATE locks, so
        # PostgreSQL re-checks it with the units after any concurrent writer. No join here
        # (a join would make Django move the whole filter into a sub-select, which is not
        # re-checked): the warehouse is a correlated EXISTS.
        taken = Stock.objects.filter(
            Exists(Warehouse.objects.filter(pk=OuterRef("warehouse_id"), is_active=True)),
            pk=stock_id,
            frozen=False,
            on_hand__gte=F("reserved") + quantity,
        ).update(reserved=F("reserved") + quantity)
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
            pages.stock_moved(stock_id, free_change=-quantity)
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
    pages.stock_moved(reservation.stock_id, free_change=reservation.quantity)


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
