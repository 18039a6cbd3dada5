"""Purchase orders: what we ask a supplier for, at an agreed unit cost, by an expected date.

The life of an order (``PURCHASE_ORDER_MACHINE``, each step a history row): an operator
drafts it (from the replenishment suggestions or by hand) and sends it; the supplier's
own user confirms it, or amends quantities, costs or the date (the operator accepts the
amendment); the warehouse receives against it, in one delivery or several. Each
delivery books an ordinary purchase receipt (``purchasing.book_purchase_receipt``: the
stock rises with receipt movements and the moving-average cost moves), and what differs
from the order is recorded: units over, units damaged (not put into stock), and, when
the order is closed with units outstanding, units short.

Who may act is checked here as well as in the admin: a supplier user only ever touches
its own supplier's orders (``supplier_of``).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.money import to_money
from mall.numbers import new_number
from mall.roles import SUPPLIER, has_role
from mall.statemachine import transition

from ..exceptions import CatalogError
from ..models import (
    PURCHASE_ORDER_MACHINE,
    SKU,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatusChange,
    ReceiptDifference,
    Supplier,
    Warehouse,
)
from ..selectors.stock import replenishment_list
from .purchasing import MAX_UNIT_COST, book_purchase_receipt


class PurchaseOrderRefused(CatalogError):
    """A purchase order step that cannot be done as asked; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


# --- Who acts --------------------------------------------------------------------------------


def supplier_of(user) -> Supplier | None:
    """The supplier whose records ``user`` works on when ``user`` is a supplier's account
    (role "supplier"); None for the shop's own staff."""
    if not has_role(user, SUPPLIER) or user.is_superuser:
        return None
    return Supplier.objects.filter(accounts=user).order_by("pk").first()


def _check_own(order: PurchaseOrder, actor) -> None:
    """A supplier's user acts on its own supplier's orders only (PermissionDenied)."""
    if has_role(actor, SUPPLIER) and not actor.is_superuser:
        own = supplier_of(actor)
        if own is None or own.pk != order.supplier_id:
            raise PermissionDenied(_("This purchase order is not yours."))


def _step(order, name, *, actor, reason="", update_fields=()):
    return transition(
        order,
        PURCHASE_ORDER_MACHINE,
        name,
        history=PurchaseOrderStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )


# --- Drafting --------------------------------------------------------------------------------


def _cost(value) -> Decimal | None:
    if value is None or isinstance(value, bool | float):
        return None
    try:
        return to_money(value)
    except (TypeError, ValueError, InvalidOperation):
        return None


def _line_problems(supplier: Supplier, lines: list) -> list[str]:
    problems = []
    if not lines:
        problems.append(_("a purchase order needs at least one line"))
    skus = SKU.objects.select_related("product").in_bulk(
        [getattr(sku, "pk", sku) for sku, _quantity, _cost in lines]
    )
    seen = set()
    for number, (sku, quantity, unit_cost) in enumerate(lines, start=1):
        sku = skus.get(getattr(sku, "pk", sku))
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
        elif sku.pk in seen:
            problems.append(_("%(line)s: the SKU is already on an earlier line") % {"line": where})
        if sku is not None:
            seen.add(sku.pk)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            problems.append(
                _("%(line)s: the quantity must be a whole number of at least 1") % {"line": where}
            )
        cost = _cost(unit_cost)
        if cost is None or cost < 0 or cost > MAX_UNIT_COST:
            problems.append(_("%(line)s: the unit cost must be an amount") % {"line": where})
    return problems


@transaction.atomic
def create_purchase_order(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Iterable,
    expected_date: datetime.date,
    actor,
    note: str = "",
    from_suggestion: bool = False,
) -> PurchaseOrder:
    """Draft a purchase order to ``supplier`` for ``lines`` ((sku, quantity, agreed unit
    cost) triples), to be delivered to ``warehouse`` by ``expected_date``.

    Raises ``PurchaseOrderRefused`` listing every problem (supplier not approved,
    warehouse inactive, a date in the past, no lines, a SKU of another supplier or twice,
    a quantity below 1, a cost that is not an amount); nothing is written then.
    """
    lines = list(lines)
    supplier = Supplier.objects.get(pk=supplier.pk)
    problems = []
    if supplier.status != Supplier.Status.APPROVED:
        problems.append(
            _("goods are bought only from approved suppliers; %(supplier)s is “%(status)s”")
            % {"supplier": supplier, "status": supplier.get_status_display()}
        )
    if not Warehouse.objects.filter(pk=warehouse.pk, is_active=True).exists():
        problems.append(_("the warehouse %(warehouse)s is not active") % {"warehouse": warehouse})
    if expected_date is None or expected_date < timezone.localdate():
        problems.append(_("the expected delivery date cannot be in the past"))
    problems += _line_problems(supplier, lines)
    if problems:
        raise PurchaseOrderRefused(problems)
    order = PurchaseOrder.objects.create(
        number=new_number("PO", digits=6),
        supplier=supplier,
        warehouse=warehouse,
        expected_date=expected_date,
        note=note.strip()[:200],
        from_suggestion=from_suggestion,
        created_by=actor,
    )
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            order=order, sku_id=getattr(sku, "pk", sku), quantity=quantity, unit_cost=_cost(cost)
        )
        for sku, quantity, cost in lines
    )
    PurchaseOrderStatusChange.objects.create(
        subject=order,
        transition="draft",
        from_state="",
        to_state=order.status,
        actor=actor,
        reason=_("from the replenishment suggestions") if from_suggestion else "",
    )
    return order


def create_from_suggestions(
    *, supplier: Supplier, warehouse: Warehouse, actor, expected_date=None, now=None
) -> PurchaseOrder:
    """Draft a purchase order to ``supplier`` with every low SKU of theirs on the
    replenishment list (``selectors.stock.replenishment_list``), each for its suggested
    quantity at the last cost paid (0.00 for a SKU never bought: to be agreed). The
    expected date is today plus the supplier's lead time unless given. Raises
    ``PurchaseOrderRefused`` when nothing of theirs needs reordering."""
    rows = [
        row
        for row in replenishment_list(low_only=True, supplier=supplier, now=now)
        if row.suggested > 0
    ]
    if not rows:
        raise PurchaseOrderRefused(
            [_("nothing of %(supplier)s needs reordering now") % {"supplier": supplier}]
        )
    expected = expected_date or timezone.localdate() + datetime.timedelta(
        days=supplier.lead_time_days
    )
    return create_purchase_order(
        supplier=supplier,
        warehouse=warehouse,
        lines=[(row, row.suggested, row.unit_cost or Decimal("0.00")) for row in rows],
        expected_date=expected,
        actor=actor,
        from_suggestion=True,
    )


# --- Sending, confirming, amending -----------------------------------------------------------


def send_purchase_order(*, order: PurchaseOrder, actor) -> PurchaseOrder:
    """Send a draft to the supplier (its users see it from now on)."""
    return _step(order, "send", actor=actor)


def confirm_purchase_order(*, order: PurchaseOrder, actor, note: str = "") -> PurchaseOrder:
    """The supplier confirms a sent order as it stands. A supplier's user may confirm
    only its own supplier's orders (``PermissionDenied``); ``IllegalTransition`` unless
    sent."""
    _check_own(order, actor)
    return _step(order, "confirm", actor=actor, reason=note.strip())


@transaction.atomic
def amend_purchase_order(
    *,
    order: PurchaseOrder,
    actor,
    changes: dict,
    reason: str,
    expected_date: datetime.date | None = None,
) -> PurchaseOrder:
    """The supplier answers a sent order with changes: ``changes`` maps a line (or its
    pk) to ``(quantity, unit_cost)``; ``expected_date`` moves the delivery. The order
    waits for an operator to accept the amendment (``accept_amendment``); every change
    is written on its history with the figures before and after.

    Raises ``PermissionDenied`` for another supplier's order, ``PurchaseOrderRefused``
    without a reason, with nothing changed or with bad figures, ``IllegalTransition``
    unless sent. Nothing changes when it raises.
    """
    _check_own(order, actor)
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    PURCHASE_ORDER_MACHINE.check(order, "amend")
    problems, said = [], []
    if not reason.strip():
        problems.append(_("say why the order is amended"))
    lines = {line.pk: line for line in order.lines.select_related("sku")}
    updates = []
    for key, (quantity, unit_cost) in changes.items():
        line = lines.get(getattr(key, "pk", key))
        if line is None:
            problems.append(_("a changed line is not on this order"))
            continue
        cost = _cost(unit_cost)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            problems.append(_("%(sku)s: the quantity must be at least 1") % {"sku": line.sku.code})
            continue
        if cost is None or cost < 0 or cost > MAX_UNIT_COST:
            problems.append(_("%(sku)s: the unit cost must be an amount") % {"sku": line.sku.code})
            continue
        if (quantity, cost) != (line.quantity, line.unit_cost):
            said.append(
                _("%(sku)s: %(old_q)s at %(old_c)s → %(new_q)s at %(new_c)s")
                % {
                    "sku": line.sku.code,
                    "old_q": line.quantity,
                    "old_c": line.unit_cost,
                    "new_q": quantity,
                    "new_c": cost,
                }
            )
            line.quantity, line.unit_cost = quantity, cost
            updates.append(line)
    if expected_date is not None and expected_date != order.expected_date:
        if expected_date < timezone.localdate():
            problems.append(_("the expected delivery date cannot be in the past"))
        else:
            said.append(
                _("delivery %(old)s → %(new)s") % {"old": order.expected_date, "new": expected_date}
            )
            order.expected_date = expected_date
    if not problems and not said:
        problems.append(_("nothing was changed: confirm the order instead"))
    if problems:
        raise PurchaseOrderRefused(problems)
    PurchaseOrderLine.objects.bulk_update(updates, ["quantity", "unit_cost"])
    return _step(
        order,
        "amend",
        actor=actor,
        reason=f"{reason.strip()}: {'; '.join(said)}",
        update_fields=["expected_date"],
    )


def accept_amendment(*, order: PurchaseOrder, actor) -> PurchaseOrder:
    """An operator accepts the supplier's amendment: the order is confirmed as amended."""
    return _step(order, "accept_amendment", actor=actor)


def cancel_purchase_order(*, order: PurchaseOrder, actor, reason: str) -> PurchaseOrder:
    """Cancel an order before anything was received; the reason is on its history."""
    if not reason.strip():
        raise PurchaseOrderRefused([_("say why the order is cancelled")])
    return _step(order, "cancel", actor=actor, reason=reason.strip())


# --- Receiving -------------------------------------------------------------------------------


@transaction.atomic
def receive_purchase_order(
    *,
    order: PurchaseOrder,
    actor,
    counts: dict,
    delivery_note: str = "",
    note: str = "",
    final: bool = False,
):
    """Receive a delivery against a confirmed order: ``counts`` maps a line (or its pk)
    to ``(arrived, damaged)``, units that came and units of those not fit for stock.

    The good units (arrived − damaged) are booked as one purchase receipt into the
    order's warehouse at each line's agreed cost (``book_purchase_receipt``: stock
    rises, the moving-average cost moves). Differences are recorded against the order:
    damaged units, units over what was ordered. The order is then received in full when
    nothing is outstanding, closed short (the units still missing recorded as short)
    when ``final`` says no more will come, and partly received otherwise.

    A delivery note number is booked once per order: the same note again is refused
    (a form sent twice, two clerks booking one delivery at once).

    Raises ``PurchaseOrderRefused`` listing every problem (no units, negative counts,
    more damaged than arrived, a line not on the order, a delivery note already
    booked), ``ReceiptRefused`` from the
    booking (a supplier suspended meanwhile), ``IllegalTransition`` unless confirmed or
    partly received. All or nothing. Returns the receipt (None when only damaged units
    came).
    """
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    PURCHASE_ORDER_MACHINE.check(order, "receive_part")
    lines = {line.pk: line for line in order.lines.select_related("sku").order_by("pk")}
    problems, found = [], {}
    for key, (arrived, damaged) in counts.items():
        line = lines.get(getattr(key, "pk", key))
        if line is None:
            problems.append(_("a received line is not on this order"))
            continue
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in (arrived, damaged)):
            problems.append(_("%(sku)s: counts are whole numbers, 0 or more") % {"sku": line.sku})
        elif damaged > arrived:
            problems.append(_("%(sku)s: more units damaged than arrived") % {"sku": line.sku.code})
        else:
            found[line.pk] = (arrived, damaged)
    note_number = delivery_note.strip()
    if note_number and order.receipts.filter(delivery_note=note_number).exists():
        # The same delivery booked twice (a form sent again, two clerks at once): the
        # order row is locked, so the second sees the first's receipt.
        problems.append(
            _("delivery note %(note)s is already booked against %(order)s")
            % {"note": note_number, "order": order.number}
        )
    nothing_came = not any(arrived for arrived, _damaged in found.values())
    if not problems and nothing_came and not final:
        problems.append(_("count at least one unit that arrived"))
    if problems:
        raise PurchaseOrderRefused(problems)
    good = [
        (lines[pk].sku, arrived - damaged, lines[pk].unit_cost)
        for pk, (arrived, damaged) in found.items()
        if arrived - damaged > 0
    ]
    receipt = None
    if good:
        receipt = book_purchase_receipt(
            supplier=order.supplier,
            warehouse=order.warehouse,
            lines=good,
            actor=actor,
            delivery_note=delivery_note,
            note=note or order.number,
            purchase_order=order,
        )
    said = []
    for pk, (arrived, damaged) in found.items():
        line = lines[pk]
        before = line.received + line.damaged
        line.received += arrived - damaged
        line.damaged += damaged
        line.save(update_fields=["received", "damaged"])
        if damaged:
            _difference(line, receipt, ReceiptDifference.Kind.DAMAGED, damaged, actor)
        over = before + arrived - max(line.quantity, before)
        if over > 0:
            _difference(line, receipt, ReceiptDifference.Kind.OVER, over, actor)
        said.append(
            _("%(sku)s: %(arrived)s arrived, %(damaged)s damaged")
            % {"sku": line.sku.code, "arrived": arrived, "damaged": damaged}
        )
    outstanding = sum(line.outstanding for line in lines.values())
    if outstanding and final:
        for line in lines.values():
            if line.outstanding:
                _difference(line, receipt, ReceiptDifference.Kind.SHORT, line.outstanding, actor)
        name = "close_short"
        said.append(_("%(units)s units short: no more will come") % {"units": outstanding})
    else:
        name = "receive_part" if outstanding else "receive"
    _step(order, name, actor=actor, reason="; ".join(str(text) for text in said))
    return receipt


def _difference(line, receipt, kind, quantity, actor):
    ReceiptDifference.objects.create(
        line=line, receipt=receipt, kind=kind, quantity=quantity, recorded_by=actor
    )


def close_purchase_order_short(*, order: PurchaseOrder, actor, reason: str) -> PurchaseOrder:
    """No more will come: close a confirmed or partly received order, recording every
    outstanding unit as short. Raises ``PurchaseOrderRefused`` without a reason."""
    if not reason.strip():
        raise PurchaseOrderRefused([_("say why the order is closed short")])
    receive_purchase_order(order=order, actor=actor, counts={}, note=reason.strip(), final=True)
    order.refresh_from_db()
    return order
