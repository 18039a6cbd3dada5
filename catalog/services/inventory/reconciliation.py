"""Reconciliation: every stock row checked against its ledger and its open reservations;
drift is recorded for operators (``StockDiscrepancy``) and resolved by a person with a
reason, never corrected silently."""

import logging

from django.db import connection, transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ...exceptions import CatalogError
from ...models import Reservation, Stock, StockDiscrepancy, StockMovement
from .reservations import release_expired

logger = logging.getLogger("catalog.inventory")


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
