"""Reservations: units held for an order with one conditional UPDATE under the CHECK
constraints (so nothing can oversell), released on cancellation or expiry, consumed at
shipment, each step with its ledger row."""

import datetime

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

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


# One statement: the conditional UPDATE of the stock row, the reservation and its ledger
# row, written together through data-modifying CTEs (all or nothing, like any statement).
# ``{target}`` is the stock row to take from: the best candidate (a sub-select, the usual
# case: one round trip) or one given id (the fallback, warehouse by warehouse). The
# conditions on the row itself (not frozen, enough units) and the warehouse (a correlated
# EXISTS, no join) are in the UPDATE's WHERE, which PostgreSQL re-checks on the current
# row after waiting for a concurrent writer: the sub-select only chooses.
_RESERVE_SQL = """
WITH taken AS (
    UPDATE {stock} AS stock
    SET reserved = stock.reserved + %(quantity)s
    WHERE stock.id = {target}
      AND NOT stock.frozen
      AND stock.on_hand >= stock.reserved + %(quantity)s
      AND EXISTS (
          SELECT 1 FROM {warehouse} AS warehouse
          WHERE warehouse.id = stock.warehouse_id AND warehouse.is_active
      )
    RETURNING stock.id
), reservation AS (
    INSERT INTO {reservation} (stock_id, quantity, reference, status, expires_at, created_at)
    SELECT taken.id, %(quantity)s, %(reference)s, %(open)s, %(expires_at)s, %(now)s
    FROM taken
    RETURNING {reservation_columns}
), movement AS (
    INSERT INTO {movement}
        (stock_id, kind, quantity, reserved_change, reason, reference, actor_id, at)
    SELECT reservation.stock_id, %(kind)s, 0, %(quantity)s, '',
           COALESCE(NULLIF(%(reference)s, ''), 'reservation ' || reservation.id),
           %(actor)s, %(now)s
    FROM reservation
)
SELECT {reservation_columns} FROM reservation
"""
_BEST_CANDIDATE = """(
        SELECT candidate.id FROM {stock} AS candidate
        JOIN {warehouse} AS warehouse ON warehouse.id = candidate.warehouse_id
        WHERE candidate.sku_id = %(sku)s AND warehouse.is_active AND NOT candidate.frozen
          AND candidate.on_hand - candidate.reserved >= %(quantity)s
        ORDER BY candidate.on_hand - candidate.reserved DESC, candidate.id
        LIMIT 1
    )"""


def _reserve_sql(target: str) -> str:
    tables = {
        "stock": Stock._meta.db_table,
        "warehouse": Warehouse._meta.db_table,
        "reservation": Reservation._meta.db_table,
        "movement": StockMovement._meta.db_table,
    }
    columns = ", ".join(field.column for field in Reservation._meta.concrete_fields)
    return _RESERVE_SQL.format(
        target=target.format(**tables), reservation_columns=columns, **tables
    )


_RESERVE_BEST = _reserve_sql(_BEST_CANDIDATE)
_RESERVE_FROM = _reserve_sql("%(stock_id)s")


def reserve(
    *,
    sku: SKU,
    quantity: int,
    reference: str = "",
    actor=None,
    ttl: datetime.timedelta | None = None,
) -> Reservation:
    """Hold ``quantity`` units of ``sku`` in one active warehouse that has them.

    The warehouse with the most units available is tried first, in one SQL statement: a
    conditional UPDATE of its stock row that writes the reservation and its ledger row in
    the same statement (so all or nothing, without a transaction of its own). Only when a
    concurrent buyer took those units first are the other warehouses tried, one statement
    each, from the most available down. So concurrent buyers can never take more than
    there is. Raises ``InsufficientStock`` (with the units available) when no single
    warehouse can fill it, ``CatalogError`` for a quantity below one. ``ttl`` sets when an
    unpaid reservation expires (see ``release_expired``).
    """
    if quantity < 1:
        raise CatalogError("Reserve at least one unit.")
    now = timezone.now()
    params = {
        "sku": sku.pk,
        "quantity": quantity,
        "reference": reference,
        "open": Reservation.Status.OPEN,
        "kind": StockMovement.Kind.RESERVATION,
        "expires_at": now + ttl if ttl else None,
        "now": now,
        "actor": actor.pk if actor is not None else None,
    }
    row = _take(_RESERVE_BEST, params)
    if row is None:
        # Someone took the best candidate between our choice and our update (or there is
        # none): the others, read afresh, one conditional statement each.
        candidates = (
            Stock.objects.sellable()
            .filter(sku=sku)
            .annotate(free=F("on_hand") - F("reserved"))
            .filter(free__gte=quantity)
            .order_by("-free", "pk")
            .values_list("pk", flat=True)
        )
        for stock_id in candidates:
            row = _take(_RESERVE_FROM, {**params, "stock_id": stock_id})
            if row is not None:
                break
    if row is None:
        raise InsufficientStock(sku, quantity, available_units(sku))
    names = [field.attname for field in Reservation._meta.concrete_fields]
    return Reservation.from_db(connection.alias, names, row)


def _take(sql: str, params: dict):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


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
