"""Reservations: units held for an order line, from one warehouse or split over several
(the nearest first), under the CHECK constraints (so nothing can oversell); released on
cancellation or expiry, consumed at shipment, each step with its ledger row."""

import datetime

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from customers.regions import distance_km

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
    RETURNING stock.id, stock.sku_id, stock.on_hand - stock.reserved AS free
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
SELECT {reservation_select}, taken.free, sku.product_id
FROM reservation, taken JOIN {sku} AS sku ON sku.id = taken.sku_id
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
        "sku": SKU._meta.db_table,
    }
    columns = [field.column for field in Reservation._meta.concrete_fields]
    return _RESERVE_SQL.format(
        target=target.format(**tables),
        reservation_columns=", ".join(columns),
        reservation_select=", ".join(f"reservation.{column}" for column in columns),
        **tables,
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

    Concurrency: a single-warehouse try is one SQL statement, a conditional UPDATE of
    the stock row that also writes the reservation and its ledger row through CTEs (all
    or nothing), which PostgreSQL re-checks on the current row after waiting for a
    concurrent writer. Without a destination the statement picks the warehouse itself
    (rule 1 is then "the fullest"), so the usual reservation is one round trip. Inside a
    transaction each try runs in a savepoint rolled back when it fails, so a failed try
    holds no lock. A split locks every
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
    if not destination:
        # Every warehouse is equally near: the statement's own sub-select takes the
        # fullest one that can fill the line.
        row = _try(_RESERVE_BEST, params)
        if row is not None:
            return [_reservation(row)]
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
        # (or the warehouse closed) since; the statement re-checks both on the row it
        # locks.
        row = _try(_RESERVE_FROM, {**params, "stock_id": stock_id})
        if row is not None:
            return [_reservation(row)]
        # Someone took it between our read and our update: try the next warehouse.
    return _reserve_split(
        sku=sku,
        quantity=quantity,
        reference=reference,
        actor=actor,
        ttl=ttl,
        destination=destination,
    )


@transaction.atomic
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
        pages.stock_moved(stock_id, free_change=-take)
        needed -= take
        if not needed:
            break
    return reservations


def _try(sql: str, params: dict):
    """Run one reservation statement; inside a transaction in a savepoint, given back
    when it takes nothing: a try that waited for a concurrent writer still holds the row,
    and a split of the same SKU locking rows in pk order could then deadlock with us."""
    if not connection.in_atomic_block:
        return _take(sql, params)
    savepoint = transaction.savepoint()
    row = _take(sql, params)
    if row is None:
        transaction.savepoint_rollback(savepoint)
    else:
        transaction.savepoint_commit(savepoint)
    return row


def _take(sql: str, params: dict):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _reservation(row) -> Reservation:
    """The reservation a statement wrote; the storefront hears of the units it took (the
    statement also answered the row's free units and product: no query more)."""
    names = [field.attname for field in Reservation._meta.concrete_fields]
    reservation = Reservation.from_db(connection.alias, names, row[: len(names)])
    free, product_id = row[len(names) :]
    pages.stock_changed(product_id, free_after=free, free_before=free + reservation.quantity)
    return reservation


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
