"""Purchasing: goods bought from suppliers arrive on a receipt that raises stock and
records what each unit cost (the basis of stock value, turnover and replenishment).

Receipts are never edited or deleted: a wrong receipt is corrected by a stock
adjustment with a reason, so the ledger keeps what really happened.
"""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from mall.money import to_money

from ..exceptions import ReceiptRefused
from ..models import SKU, PurchaseReceipt, PurchaseReceiptLine, Supplier, Warehouse
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
) -> PurchaseReceipt:
    """Book a delivery from ``supplier`` into ``warehouse``: the receipt, one line per
    (sku, quantity, unit_cost) in ``lines``, and a RECEIPT movement per line (referenced
    ``receipt <pk>``) that raises the SKU's stock there.

    All or nothing: raises ``ReceiptRefused`` listing every problem (supplier not
    qualified, warehouse inactive, no lines, a SKU of another supplier or twice, a
    quantity below 1 or not whole, a unit cost that is not a non-negative amount) and
    writes nothing. The supplier row is locked while booking, so a supplier suspended
    at the same moment cannot deliver after its suspension.
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
    for sku, quantity, _cost in lines:
        inventory.receive_stock(
            sku=skus[getattr(sku, "pk", sku)],
            warehouse=warehouse,
            quantity=quantity,
            actor=actor,
            reference=f"receipt {receipt.pk}",
        )
    return receipt
