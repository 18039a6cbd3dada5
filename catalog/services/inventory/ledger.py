"""The stock ledger: every change of ``on_hand`` is one append-only movement row booked with
it (receipts, returns, stocktake gains and losses, operators' adjustments with a reason,
transfers between warehouses)."""

import logging
import uuid

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ...exceptions import CatalogError, InsufficientStock, ReasonRequired
from ...models import SKU, Stock, StockMovement, Warehouse
from .. import pages

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
    pages.stock_moved(stock.pk, free_change=quantity)
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
