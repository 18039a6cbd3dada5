"""Purchase orders through their services: drafting (by hand and from the replenishment
suggestions), the supplier's confirmation or amendment, receiving in parts with the
differences recorded, the moving-average cost, and the price floor it sets. Receiving is
raced: one delivery booked twice at once counts once, two deliveries at once both count."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import timezone

from catalog.exceptions import PriceRefused
from catalog.models import (
    SKU,
    PriceChange,
    PurchaseOrder,
    PurchaseReceipt,
    ReceiptDifference,
    SkuCost,
    Stock,
    StockMovement,
    Supplier,
)
from catalog.services import pricing
from catalog.services import purchase_orders as po
from catalog.services.purchasing import book_purchase_receipt
from mall.statemachine import IllegalTransition
from tests.catalog.factories import (
    WarehouseFactory,
    make_listed_product,
    supplier_user,
)
from tests.concurrency import race
from tests.customers.factories import UserFactory

TODAY = timezone.localdate


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="hz")


@pytest.fixture
def goods(warehouse):
    """Two SKUs of one supplier, none in stock, each with a safety stock of 10."""
    product = make_listed_product(prices=("30.00", "50.00"), stock=0, warehouse=warehouse)
    SKU.objects.filter(product=product).update(safety_stock=10)
    return list(product.skus.order_by("position"))


def _order(goods, warehouse, operator, quantity=10, cost="20.00"):
    order = po.create_purchase_order(
        supplier=goods[0].product.supplier,
        warehouse=warehouse,
        lines=[(sku, quantity, cost) for sku in goods],
        expected_date=TODAY() + datetime.timedelta(days=5),
        actor=operator,
    )
    return order


def _confirmed(goods, warehouse, operator, **kwargs):
    order = po.send_purchase_order(
        order=_order(goods, warehouse, operator, **kwargs), actor=operator
    )
    return po.confirm_purchase_order(order=order, actor=operator)


def _on_hand(sku, warehouse):
    return Stock.objects.get(sku=sku, warehouse=warehouse).on_hand


def _ledger_adds_up():
    for row in Stock.objects.all():
        assert row.movements.aggregate(n=Sum("quantity"))["n"] == row.on_hand


# --- Drafting -----------------------------------------------------------------------------------


def test_a_draft_lists_every_problem_and_writes_nothing(goods, warehouse, operator):
    first, second = goods
    stranger = make_listed_product(prices=("5.00",), stock=0).skus.get()
    supplier = first.product.supplier
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.SUSPENDED)
    with pytest.raises(po.PurchaseOrderRefused) as refused:
        po.create_purchase_order(
            supplier=supplier,
            warehouse=warehouse,
            lines=[(first, 0, "1.00"), (first, 2, "abc"), (stranger, 1, 1.5), (second, 3, "-1")],
            expected_date=TODAY() - datetime.timedelta(days=1),
            actor=operator,
        )
    problems = [str(p) for p in refused.value.problems]
    assert problems[0].startswith("goods are bought only from approved suppliers")
    assert "the expected delivery date cannot be in the past" in problems
    assert any("line 1" in p and "at least 1" in p for p in problems)
    assert any("line 2" in p and "already on an earlier line" in p for p in problems)
    assert any("line 2" in p and "must be an amount" in p for p in problems)
    assert any("line 3" in p and "is not supplied by" in p for p in problems)
    assert any("line 3" in p and "must be an amount" in p for p in problems)  # a float
    assert any("line 4" in p and "must be an amount" in p for p in problems)
    assert not PurchaseOrder.objects.exists()


def test_a_draft_from_the_suggestions_orders_what_the_replenishment_list_suggests(
    goods, warehouse, operator
):
    first, second = goods
    # A receipt earlier: the first SKU has a last cost paid, and more than its point.
    book_purchase_receipt(
        supplier=first.product.supplier,
        warehouse=warehouse,
        lines=[(first, 4, "18.50")],
        actor=operator,
    )
    order = po.create_from_suggestions(
        supplier=first.product.supplier, warehouse=warehouse, actor=operator
    )
    assert order.from_suggestion and order.status == PurchaseOrder.Status.DRAFT
    assert order.expected_date == TODAY() + datetime.timedelta(
        days=first.product.supplier.lead_time_days
    )
    lines = {line.sku_id: (line.quantity, line.unit_cost) for line in order.lines.all()}
    assert lines == {first.pk: (6, Decimal("18.50")), second.pk: (10, Decimal("0.00"))}
    assert order.history.get().reason == "from the replenishment suggestions"

    SKU.objects.update(safety_stock=0)
    with pytest.raises(po.PurchaseOrderRefused, match="needs reordering"):
        po.create_from_suggestions(
            supplier=first.product.supplier, warehouse=warehouse, actor=operator
        )


# --- The supplier's answer ---------------------------------------------------------------------


def test_only_the_suppliers_own_user_confirms_and_a_draft_is_not_confirmed(
    goods, warehouse, operator
):
    order = _order(goods, warehouse, operator)
    own = supplier_user(goods[0].product.supplier)
    stranger = supplier_user(make_listed_product(stock=0).supplier)
    with pytest.raises(IllegalTransition):
        po.confirm_purchase_order(order=order, actor=own)  # not sent yet
    po.send_purchase_order(order=order, actor=operator)
    with pytest.raises(PermissionDenied):
        po.confirm_purchase_order(order=order, actor=stranger)
    with pytest.raises(PermissionDenied):
        po.amend_purchase_order(order=order, actor=stranger, changes={}, reason="x")
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.SENT
    po.confirm_purchase_order(order=order, actor=own, note="周五发货")
    assert [(h.transition, h.actor, h.reason) for h in order.history.order_by("pk")][-1] == (
        "confirm",
        own,
        "周五发货",
    )


def test_an_amendment_is_written_with_its_figures_and_waits_for_the_operator(
    goods, warehouse, operator
):
    order = po.send_purchase_order(order=_order(goods, warehouse, operator), actor=operator)
    own = supplier_user(goods[0].product.supplier)
    line, other = order.lines.order_by("pk")
    with pytest.raises(po.PurchaseOrderRefused) as refused:
        po.amend_purchase_order(
            order=order, actor=own, changes={line.pk: (0, "20.00"), other: (5, "x")}, reason=""
        )
    assert len(refused.value.problems) == 3
    with pytest.raises(po.PurchaseOrderRefused, match="nothing was changed"):
        po.amend_purchase_order(
            order=order, actor=own, changes={line: (10, "20.00")}, reason="没有变化"
        )
    new_date = order.expected_date + datetime.timedelta(days=3)
    po.amend_purchase_order(
        order=order,
        actor=own,
        changes={line: (8, "21.00")},
        reason="原料涨价",
        expected_date=new_date,
    )
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == PurchaseOrder.Status.AMENDED and order.expected_date == new_date
    assert (line.quantity, line.unit_cost) == (8, Decimal("21.00"))
    said = order.history.latest("pk").reason
    assert said.startswith("原料涨价: ") and "10 at 20.00 → 8 at 21.00" in said
    with pytest.raises(IllegalTransition):
        po.receive_purchase_order(order=order, actor=operator, counts={line: (8, 0)})
    po.accept_amendment(order=order, actor=operator)
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.CONFIRMED


# --- Receiving ----------------------------------------------------------------------------------


def test_receiving_in_parts_books_receipts_records_differences_and_closes(
    goods, warehouse, operator
):
    first, second = goods
    order = _confirmed(goods, warehouse, operator)
    line, other = order.lines.order_by("pk")

    receipt = po.receive_purchase_order(
        order=order, actor=operator, counts={line: (6, 1), other: (0, 0)}, delivery_note="DN-1"
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTLY_RECEIVED
    assert receipt.purchase_order == order and receipt.delivery_note == "DN-1"
    assert _on_hand(first, warehouse) == 5  # the damaged unit is not stock
    line.refresh_from_db()
    assert (line.received, line.damaged, line.outstanding) == (5, 1, 4)

    # The rest, and two more than ordered of the second SKU.
    po.receive_purchase_order(
        order=order, actor=operator, counts={line: (4, 0), other: (12, 0)}, delivery_note="DN-2"
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert (_on_hand(first, warehouse), _on_hand(second, warehouse)) == (9, 12)
    differences = ReceiptDifference.objects.values_list("line__sku", "kind", "quantity")
    assert sorted(differences) == sorted([(first.pk, "damaged", 1), (second.pk, "over", 2)])
    assert [h.to_state for h in order.history.order_by("pk")][-2:] == [
        "partly_received",
        "received",
    ]
    with pytest.raises(IllegalTransition):
        po.receive_purchase_order(order=order, actor=operator, counts={line: (1, 0)})
    _ledger_adds_up()


def test_closing_short_records_every_missing_unit(goods, warehouse, operator):
    order = _confirmed(goods, warehouse, operator)
    line, other = order.lines.order_by("pk")
    po.receive_purchase_order(order=order, actor=operator, counts={line: (7, 0)})
    with pytest.raises(po.PurchaseOrderRefused, match="say why"):
        po.close_purchase_order_short(order=order, actor=operator, reason=" ")
    po.close_purchase_order_short(order=order, actor=operator, reason="供应商停产")
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.CLOSED_SHORT
    shorts = dict(ReceiptDifference.objects.filter(kind="short").values_list("line", "quantity"))
    assert shorts == {line.pk: 3, other.pk: 10}
    assert "13 units short" in order.history.latest("pk").reason


def test_bad_counts_are_refused_all_together_and_nothing_is_booked(goods, warehouse, operator):
    order = _confirmed(goods, warehouse, operator)
    line, other = order.lines.order_by("pk")
    stranger_line = _order(goods, warehouse, operator).lines.first()
    with pytest.raises(po.PurchaseOrderRefused) as refused:
        po.receive_purchase_order(
            order=order,
            actor=operator,
            counts={line: (2, 3), other: (-1, 0), stranger_line: (1, 0)},
        )
    assert len(refused.value.problems) == 3
    with pytest.raises(po.PurchaseOrderRefused, match="count at least one unit"):
        po.receive_purchase_order(order=order, actor=operator, counts={line: (0, 0)})
    assert not PurchaseReceipt.objects.exists() and not StockMovement.objects.exists()
    assert not ReceiptDifference.objects.exists()


def test_the_same_delivery_note_is_booked_once(goods, warehouse, operator):
    order = _confirmed(goods, warehouse, operator)
    line = order.lines.order_by("pk").first()
    po.receive_purchase_order(
        order=order, actor=operator, counts={line: (3, 0)}, delivery_note="A7"
    )
    with pytest.raises(po.PurchaseOrderRefused, match="A7 is already booked"):
        po.receive_purchase_order(
            order=order, actor=operator, counts={line: (3, 0)}, delivery_note=" A7 "
        )
    assert _on_hand(goods[0], warehouse) == 3


@pytest.mark.django_db(transaction=True)
def test_one_delivery_booked_by_two_clerks_at_once_counts_once():
    warehouse = WarehouseFactory(code="hz")
    sku = make_listed_product(prices=("30.00",), stock=0, warehouse=warehouse).skus.get()
    operator = UserFactory(roles=["operator"])
    order = _confirmed([sku], warehouse, operator)
    line = order.lines.get()

    def book(_index):
        return po.receive_purchase_order(
            order=PurchaseOrder.objects.get(pk=order.pk),
            actor=operator,
            counts={line.pk: (4, 0)},
            delivery_note="DN-9",
        )

    results, errors = race(book, 4)
    assert len(results) == 1, errors
    assert all(isinstance(error, po.PurchaseOrderRefused) for error in errors)
    line.refresh_from_db()
    assert line.received == 4
    assert Stock.objects.get(sku=sku).on_hand == 4
    assert PurchaseReceipt.objects.count() == 1
    _ledger_adds_up()


@pytest.mark.django_db(transaction=True)
def test_deliveries_received_at_once_all_count_and_the_average_cost_sees_each():
    warehouse = WarehouseFactory(code="hz")
    sku = make_listed_product(prices=("30.00",), stock=0, warehouse=warehouse).skus.get()
    operator = UserFactory(roles=["operator"])
    order = _confirmed([sku], warehouse, operator, quantity=12, cost="10.00")
    line = order.lines.get()
    # Stock of 12 at 16.00 already: three deliveries of 4 at 10.00 end at
    # (12 × 16 + 12 × 10) / 24 = 13.00, whatever their order, if none is lost.
    book_purchase_receipt(
        supplier=sku.product.supplier,
        warehouse=warehouse,
        lines=[(sku, 12, "16.00")],
        actor=operator,
    )

    def book(index):
        return po.receive_purchase_order(
            order=PurchaseOrder.objects.get(pk=order.pk),
            actor=operator,
            counts={line.pk: (4, 0)},
            delivery_note=f"DN-{index}",
        )

    results, errors = race(book, 3)
    assert not errors and len(results) == 3
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED and line.received == 12
    assert Stock.objects.get(sku=sku).on_hand == 24
    assert SkuCost.objects.get(sku=sku).average == Decimal("13.00")
    _ledger_adds_up()


# --- The moving-average cost and the price floor ------------------------------------------------


def test_each_receipt_moves_the_average_cost_over_every_warehouse(goods, warehouse, operator):
    first, _second = goods
    other = WarehouseFactory(code="gz")
    supplier = first.product.supplier
    book_purchase_receipt(
        supplier=supplier, warehouse=warehouse, lines=[(first, 3, "10.00")], actor=operator
    )
    assert SkuCost.objects.get(sku=first).average == Decimal("10.00")
    book_purchase_receipt(
        supplier=supplier, warehouse=other, lines=[(first, 4, "12.00")], actor=operator
    )
    # (3 × 10 + 4 × 12) / 7 = 11.142857… → 11.14
    assert SkuCost.objects.get(sku=first).average == Decimal("11.14")
    Stock.objects.filter(sku=first).update(on_hand=0)  # sold out: the next price is the cost
    book_purchase_receipt(
        supplier=supplier, warehouse=other, lines=[(first, 1, "9.99")], actor=operator
    )
    assert SkuCost.objects.get(sku=first).average == Decimal("9.99")


def test_a_price_below_the_average_cost_needs_a_reason_and_a_second_operator(
    goods, warehouse, operator
):
    first, _second = goods
    book_purchase_receipt(
        supplier=first.product.supplier,
        warehouse=warehouse,
        lines=[(first, 5, "28.00")],
        actor=operator,
    )
    # 30.00 → 27.00 is a small cut (no approval otherwise), but below the 28.00 cost.
    with pytest.raises(PriceRefused) as refused:
        pricing.request_price_change(sku=first, amount="27.00", actor=operator, reason="促销")
    assert "27.00 is below the moving-average cost 28.00" in str(refused.value)
    assert not PriceChange.objects.exists()

    change = pricing.request_price_change(
        sku=first,
        amount="27.00",
        actor=operator,
        reason="促销",
        below_cost_reason="临期清仓",
    )
    assert change.status == PriceChange.Status.PENDING and change.needs_approval
    assert (change.below_cost_reason, change.cost_at_request) == ("临期清仓", Decimal("28.00"))
    assert pricing.current_price(first).amount == Decimal("30.00")
    second = UserFactory(roles=["operator"])
    pricing.approve_price_change(change=change, actor=second)
    assert pricing.current_price(first).amount == Decimal("27.00")

    # At or above the cost: the floor says nothing.
    assert pricing.below_cost_problems(sku=first, amount="28.00") == []
    at_cost = pricing.request_price_change(sku=first, amount="28.00", actor=operator, reason="回调")
    assert at_cost.status != PriceChange.Status.PENDING
