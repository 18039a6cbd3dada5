"""Stock changes. Every change writes a movement, so the ledger of a stock row always sums
to its ``on_hand`` (and its ``reserved_change`` column to ``reserved``).

Reservations never oversell: each is a conditional UPDATE (``on_hand - reserved >= n``
in the WHERE clause), which PostgreSQL re-checks on the current row after waiting for a
concurrent writer, and CHECK constraints refuse ``reserved > on_hand`` as the last guard.

``reconcile_stock`` (run hourly by beat) checks those sums and records drift as a
``StockDiscrepancy`` for a person to explain; it never corrects a stock row itself.
"""

import datetime
import logging
import uuid

from django.db import connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import CatalogError, InsufficientStock, ReasonRequired, ReservationClosed
from ..models import SKU, Reservation, Stock, StockDiscrepancy, StockMovement, Warehouse

logger = logging.getLogger("catalog.inventory")


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


# --- Operators' movements --------------------------------------------------------------------


@transaction.atomic
def adjust_stock(*, stock: Stock, quantity: int, actor, reason: str) -> StockMovement:
    """A manual correction of ``on_hand`` by ``quantity`` (signed: a loss is negative),
    booked as an adjustment that keeps ``reason``.

    Raises ``ReasonRequired`` without a reason, ``CatalogError`` for zero and
    ``InsufficientStock`` (with the free units) when a decrease would take away units
    reserved for orders. Nothing is written when refused.
    """
    return book_movement(
        stock=stock,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=quantity,
        actor=actor,
        reason=reason.strip(),
    )


@transaction.atomic
def transfer_stock(
    *,
    sku: SKU,
    source: Warehouse,
    destination: Warehouse,
    quantity: int,
    actor,
    reason: str = "",
) -> tuple[StockMovement, StockMovement]:
    """Move ``quantity`` units of ``sku`` from ``source`` to ``destination``: a transfer-out
    and a transfer-in movement sharing one reference ("transfer <id>"), in one
    transaction. The destination's stock row is created when missing.

    Only free units leave: ``InsufficientStock`` (``available`` = units free at the
    source) when the source would fall below its reserved units or has no such stock.
    ``CatalogError`` for fewer than one unit, the same warehouse twice or an inactive
    destination. Nothing is written when refused.

    Both rows are locked in primary-key order before either changes, so two opposite
    transfers at once wait for each other instead of deadlocking.
    """
    if quantity < 1:
        raise CatalogError(_("Transfer at least one unit."))
    if source.pk == destination.pk:
        raise CatalogError(_("The source and the destination are the same warehouse."))
    if not Warehouse.objects.filter(pk=destination.pk, is_active=True).exists():
        raise CatalogError(
            _("%(warehouse)s is not active: it cannot receive stock.") % {"warehouse": destination}
        )
    source_id = Stock.objects.filter(sku=sku, warehouse=source).values_list("pk", flat=True)
    source_id = source_id.first()
    if source_id is None:
        raise InsufficientStock(sku, quantity, 0)
    # Created (or found) before any lock is taken: a concurrent creator of the same row
    # then waits on the unique index while holding no stock lock of ours.
    target, _created = Stock.objects.get_or_create(sku=sku, warehouse=destination)
    locked = {
        row.pk: row
        for row in Stock.objects.select_for_update()
        .filter(pk__in=[source_id, target.pk])
        .order_by("pk")
    }
    reference = f"transfer {uuid.uuid4().hex[:12]}"
    out = book_movement(
        stock=locked[source_id],
        kind=StockMovement.Kind.TRANSFER_OUT,
        quantity=-quantity,
        actor=actor,
        reason=reason.strip(),
        reference=reference,
    )
    into = book_movement(
        stock=locked[target.pk],
        kind=StockMovement.Kind.TRANSFER_IN,
        quantity=quantity,
        actor=actor,
        reason=reason.strip(),
        reference=reference,
    )
    return out, into


@transaction.atomic
def return_to_stock(
    *, sku: SKU, warehouse: Warehouse, quantity: int, actor, reference: str
) -> StockMovement:
    """Book returned goods back into ``warehouse`` (after-sales): ``on_hand`` grows by
    ``quantity`` with a return movement carrying ``reference`` (the case or order).
    Raises ``CatalogError`` for fewer than one unit."""
    if quantity < 1:
        raise CatalogError(_("A return must bring back at least one unit."))
    stock, _created = Stock.objects.get_or_create(sku=sku, warehouse=warehouse)
    return book_movement(
        stock=stock,
        kind=StockMovement.Kind.RETURN,
        quantity=quantity,
        actor=actor,
        reference=reference,
    )


# --- Reconciliation ------------------------------------------------------------------------


def _sum_of(queryset, field: str):
    """A correlated subquery: the sum of ``field`` over ``queryset`` per stock row (0 if none)."""
    total = (
        queryset.filter(stock=OuterRef("pk"))
        .order_by()
        .values("stock")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


# For each kind of discrepancy: (what the records say, what the stock row says).
_CHECKS = {
    StockDiscrepancy.Kind.ON_HAND: ("ledger_on_hand", "on_hand"),
    StockDiscrepancy.Kind.RESERVED_LEDGER: ("ledger_reserved", "reserved"),
    StockDiscrepancy.Kind.RESERVATIONS: ("open_reserved", "reserved"),
}


def stock_with_records():
    """Every stock row annotated with what its records add up to: ``ledger_on_hand``,
    ``ledger_reserved`` (movements) and ``open_reserved`` (open reservations)."""
    return Stock.objects.annotate(
        ledger_on_hand=_sum_of(StockMovement.objects, "quantity"),
        ledger_reserved=_sum_of(StockMovement.objects, "reserved_change"),
        open_reserved=_sum_of(
            Reservation.objects.filter(status=Reservation.Status.OPEN), "quantity"
        ),
    )


@transaction.atomic
def _record_drift(now) -> dict[str, int]:
    # One run at a time: two runs would both find the same new drift.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('catalog.reconcile_stock'))")
    # One statement, so one snapshot: a service's stock change and its movement or
    # reservation are always seen together.
    drifting = list(
        stock_with_records()
        .filter(
            ~Q(ledger_on_hand=F("on_hand"))
            | ~Q(ledger_reserved=F("reserved"))
            | ~Q(open_reserved=F("reserved"))
        )
        .values("pk", "on_hand", "reserved", "ledger_on_hand", "ledger_reserved", "open_reserved")
    )
    checked = Stock.objects.count()
    stock_ids = [row["pk"] for row in drifting]
    open_ones = {
        (d.stock_id, d.kind): d
        for d in StockDiscrepancy.objects.filter(stock_id__in=stock_ids, resolved_at__isnull=True)
    }
    # The difference a person last explained, per (stock, kind): the same difference
    # again is that explained drift still there (adjustments move the ledger and the row
    # alike), not a new finding.
    explained = {
        (stock_id, kind): actual - expected
        for stock_id, kind, expected, actual in StockDiscrepancy.objects.filter(
            stock_id__in=stock_ids, resolved_at__isnull=False
        )
        .order_by("stock_id", "kind", "-resolved_at", "-pk")
        .distinct("stock_id", "kind")
        .values_list("stock_id", "kind", "expected", "actual")
    }
    new, seen = [], []
    for row in drifting:
        for kind, (records, field) in _CHECKS.items():
            expected, actual = row[records], row[field]
            if expected == actual:
                continue
            key = (row["pk"], kind)
            finding = open_ones.get(key)
            if finding is None and explained.get(key) == actual - expected:
                continue
            logger.warning(
                "stock drift: %s of stock %s is %s, its records say %s",
                field,
                row["pk"],
                actual,
                expected,
                extra={"stock": row["pk"], "kind": kind, "expected": expected, "actual": actual},
            )
            if finding is None:
                new.append(
                    StockDiscrepancy(
                        stock_id=row["pk"],
                        kind=kind,
                        expected=expected,
                        actual=actual,
                        detected_at=now,
                        last_seen_at=now,
                    )
                )
            else:
                finding.expected, finding.actual, finding.last_seen_at = expected, actual, now
                seen.append(finding)
    StockDiscrepancy.objects.bulk_create(new)
    StockDiscrepancy.objects.bulk_update(seen, ["expected", "actual", "last_seen_at"])
    return {
        "checked": checked,
        "new": len(new),
        "open": StockDiscrepancy.objects.filter(resolved_at__isnull=True).count(),
    }


def reconcile_stock(*, now=None) -> dict[str, int]:
    """Release the reservations past their expiry, then check every stock row: its ledger
    sums to ``on_hand`` and to ``reserved``, and its open reservations to ``reserved``.

    Each mismatch is recorded as a ``StockDiscrepancy`` with both figures (an open one
    for the same row and kind is updated instead: no duplicates) and logged as a warning
    on "catalog.inventory". Stock rows are never changed. A fixed number of queries,
    whatever the number of rows. Safe to run twice or at once (runs take turns).
    Returns ``{"released", "checked", "new", "open"}``: reservations released, stock
    rows checked, discrepancies found this run, discrepancies open after it.
    """
    now = now or timezone.now()
    released = release_expired(now=now)
    return {"released": released, **_record_drift(now)}


@transaction.atomic
def resolve_discrepancy(
    *, discrepancy: StockDiscrepancy, actor, resolution: str, book_difference: bool = False
) -> StockDiscrepancy:
    """Close a discrepancy with the explanation a person found (``resolution``, required).
    The row stays for history. A later run does not reopen the same difference; a
    different one is a new finding.

    Without ``book_difference`` no stock or ledger changes: a wrong ``on_hand`` is
    corrected with ``adjust_stock``, whose movement the resolution may mention. With it,
    the person states that the stock row is right and a change went unrecorded: the
    missing ledger row is written (an adjustment of the difference still open, with the
    resolution as its reason) so that the ledger adds up again. This is the one place a
    movement is written without changing the stock row, because the row already holds
    the change. Only for ledger findings: reservations that disagree with ``reserved``
    are not a ledger matter.

    Raises ``CatalogError`` without a resolution, when it is already resolved, when the
    difference cannot be booked or when the ledger already adds up.
    """
    resolution = resolution.strip()
    if not resolution:
        raise CatalogError(_("Explain what caused the discrepancy and what was done."))
    done = StockDiscrepancy.objects.filter(pk=discrepancy.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=actor, resolution=resolution
    )
    discrepancy.refresh_from_db()
    if not done:
        raise CatalogError(_("This discrepancy is already resolved."))
    if book_difference:
        _book_unrecorded_change(discrepancy, actor=actor, reason=resolution)
    return discrepancy


def _book_unrecorded_change(discrepancy: StockDiscrepancy, *, actor, reason: str) -> None:
    if discrepancy.kind == StockDiscrepancy.Kind.RESERVATIONS:
        raise CatalogError(
            _("Only a ledger difference can be booked; open reservations are checked by hand.")
        )
    stock = Stock.objects.select_for_update().get(pk=discrepancy.stock_id)
    sums = StockMovement.objects.filter(stock=stock).aggregate(
        on_hand=Sum("quantity"), reserved=Sum("reserved_change")
    )
    if discrepancy.kind == StockDiscrepancy.Kind.ON_HAND:
        quantity, reserved_change = stock.on_hand - (sums["on_hand"] or 0), 0
    else:
        quantity, reserved_change = 0, stock.reserved - (sums["reserved"] or 0)
    if quantity == 0 and reserved_change == 0:
        raise CatalogError(_("The ledger already adds up: there is no difference to book."))
    StockMovement.objects.create(
        stock=stock,
        kind=StockMovement.Kind.ADJUSTMENT,
        quantity=quantity,
        reserved_change=reserved_change,
        reason=reason[:200],
        reference=f"discrepancy {discrepancy.pk}",
        actor=actor,
    )
