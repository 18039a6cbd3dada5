"""Purchasing: goods bought from suppliers arrive on a receipt that raises stock and
records what each unit cost (the basis of stock value, turnover and replenishment).

Receipts are never edited or deleted: a wrong receipt is corrected by a stock
adjustment with a reason, so the ledger keeps what really happened.
"""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money

from ..exceptions import ReceiptRefused
from ..models import SKU, PurchaseReceipt, PurchaseReceiptLine, SkuCost, Stock, Supplier, Warehouse
from . import inventory

# PurchaseReceiptLine.unit_cost has 12 digits, 2 after the point.
MAX_UNIT_COST = Decimal("9999999999.99")


def _unit_cost(value) -> Decimal | None:
    """``value`` as money, or None when it is not an amount (floats are not amounts)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return to_money(value)
    except (TypeError, ValueError, InvalidOperation):
        return None


def receipt_problems(*, supplier: Supplier, warehouse: Warehouse, lines: Iterable) -> list[str]:
    """Every reason why a receipt of ``lines`` ((sku, quantity, unit_cost) triples) from
    ``supplier`` into ``warehouse`` cannot be booked; empty when it can.

    Reads the supplier, warehouse and SKUs as they are in the database (two queries), so
    the admin can show the problems on the form before anything is written.
    """
    lines = list(lines)
    problems = []
    supplier = Supplier.objects.get(pk=supplier.pk)
    if supplier.status != Supplier.Status.APPROVED:
        problems.append(
            _("goods are received only from qualified suppliers; %(supplier)s is “%(status)s”")
            % {"supplier": supplier, "status": supplier.get_status_display()}
        )
    if not Warehouse.objects.filter(pk=warehouse.pk, is_active=True).exists():
        problems.append(_("the warehouse %(warehouse)s is not active") % {"warehouse": warehouse})
    if not lines:
        problems.append(_("a receipt needs at least one line"))
    sku_ids = [getattr(sku, "pk", sku) for sku, _quantity, _cost in lines]
    skus = SKU.objects.select_related("product").in_bulk([pk for pk in sku_ids if pk])
    seen = set()
    for number, ((_sku, quantity, unit_cost), sku_id) in enumerate(
        zip(lines, sku_ids, strict=True), start=1
    ):
        sku = skus.get(sku_id)
        where = _("line %(number)s (%(sku)s)") % {
            "number": number,
            "sku": sku.code if sku else _("no SKU"),
        }
        if sku is None:
            problems.append(_("%(line)s: choose an existing SKU") % {"line": where})
        elif sku.product.supplier_id != supplier.pk:
            problems.append(
                _("%(line)s: “%(product)s” is not supplied by %(supplier)s")
                % {"line": where, "product": sku.product.name, "supplier": supplier}
            )
        if sku is not None and sku_id in seen:
            problems.append(
                _("%(line)s: the SKU is already on an earlier line; put all its units on one")
                % {"line": where}
            )
        seen.add(sku_id)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            problems.append(
                _("%(line)s: the quantity must be a whole number of at least 1") % {"line": where}
            )
        cost = _unit_cost(unit_cost)
        if cost is None:
            problems.append(_("%(line)s: the unit cost must be an amount") % {"line": where})
        elif cost < 0:
            problems.append(_("%(line)s: the unit cost cannot be negative") % {"line": where})
        elif cost > MAX_UNIT_COST:
            problems.append(_("%(line)s: the unit cost is too large") % {"line": where})
    return problems


@transaction.atomic
def book_purchase_receipt(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Iterable,
    actor,
    delivery_note: str = "",
    note: str = "",
    purchase_order=None,
) -> PurchaseReceipt:
    """Book a delivery from ``supplier`` into ``warehouse``: the receipt, one line per
    (sku, quantity, unit_cost) in ``lines``, and a RECEIPT movement per line (referenced
    ``receipt <pk>``) that raises the SKU's stock there.

    All or nothing: raises ``ReceiptRefused`` listing every problem (supplier not
    qualified, warehouse inactive, no lines, a SKU of another supplier or twice, a
    quantity below 1 or not whole, a unit cost that is not a non-negative amount) and
    writes nothing. The supplier row is locked while booking, so a supplier suspended
    at the same moment cannot deliver after its suspension.

    Each line moves the SKU's moving-average unit cost (``SkuCost``, see
    ``move_average_cost``). ``purchase_order`` links the receipt to the order it
    delivers (``purchase_orders.receive_purchase_order`` passes it).
    """
    lines = list(lines)
    # Serialise with the supplier's transitions (they lock the same row).
    list(Supplier.objects.select_for_update(no_key=True).filter(pk=supplier.pk).values("pk"))
    problems = receipt_problems(supplier=supplier, warehouse=warehouse, lines=lines)
    if problems:
        raise ReceiptRefused(problems)
    receipt = PurchaseReceipt.objects.create(
        supplier=supplier,
        warehouse=warehouse,
        delivery_note=delivery_note.strip(),
        note=note.strip(),
        received_by=actor,
        purchase_order=purchase_order,
    )
    PurchaseReceiptLine.objects.bulk_create(
        PurchaseReceiptLine(
            receipt=receipt,
            sku_id=getattr(sku, "pk", sku),
            quantity=quantity,
            unit_cost=to_money(cost),
        )
        for sku, quantity, cost in lines
    )
    skus = SKU.objects.in_bulk([getattr(sku, "pk", sku) for sku, _quantity, _cost in lines])
    for sku, quantity, cost in sorted(lines, key=lambda line: getattr(line[0], "pk", line[0])):
        move_average_cost(sku=skus[getattr(sku, "pk", sku)], quantity=quantity, unit_cost=cost)
        inventory.receive_stock(
            sku=skus[getattr(sku, "pk", sku)],
            warehouse=warehouse,
            quantity=quantity,
            actor=actor,
            reference=f"receipt {receipt.pk}",
        )
    return receipt


def move_average_cost(*, sku: SKU, quantity: int, unit_cost) -> SkuCost:
    """Before ``quantity`` units at ``unit_cost`` are booked in: the SKU's moving-average
    cost becomes (average × units on hand now + unit_cost × quantity) / (units on hand
    now + quantity), over every warehouse, rounded half up to the cent; the first
    receipt sets it. The cost row is locked while it moves, so two receipts of one SKU
    at once both count. Runs in the caller's transaction."""
    cost = to_money(unit_cost)
    row, created = SkuCost.objects.get_or_create(sku=sku, defaults={"average": cost})
    row = SkuCost.objects.select_for_update().get(pk=row.pk)
    if created:
        return row
    on_hand = Stock.objects.filter(sku=sku).aggregate(units=Sum("on_hand"))["units"] or 0
    on_hand = max(on_hand, 0)
    row.average = to_money((row.average * on_hand + cost * quantity) / (on_hand + quantity))
    row.updated_at = timezone.now()
    row.save(update_fields=["average", "updated_at"])
    return row
