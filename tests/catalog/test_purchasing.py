"""Purchase receipts: they raise stock through the ledger, all or nothing, only from
qualified suppliers; and the admin books them through the service."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from catalog.exceptions import ReceiptRefused
from catalog.models import (
    PurchaseReceipt,
    PurchaseReceiptLine,
    Stock,
    StockMovement,
    Supplier,
)
from catalog.services import admission
from catalog.services.purchasing import book_purchase_receipt
from tests.catalog.factories import (
    SKUFactory,
    StockFactory,
    SupplierFactory,
    WarehouseFactory,
    make_listed_product,
)
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="hz")


@pytest.fixture
def goods():
    """Two SKUs of one supplier's product, nothing in stock."""
    product = make_listed_product(prices=("10.00", "20.00"), stock=0)
    return list(product.skus.order_by("position"))


def _nothing_written(before_movements=0):
    return (
        not PurchaseReceipt.objects.exists()
        and not PurchaseReceiptLine.objects.exists()
        and StockMovement.objects.count() == before_movements
    )


def test_a_receipt_raises_stock_with_one_receipt_movement_per_line(goods, warehouse, operator):
    first, second = goods
    StockFactory(sku=first, warehouse=warehouse, on_hand=5)  # an earlier delivery
    supplier = first.product.supplier

    receipt = book_purchase_receipt(
        supplier=supplier,
        warehouse=warehouse,
        lines=[(first, 12, "6.50"), (second, 3, Decimal("11"))],
        actor=operator,
        delivery_note=" DN-778 ",
    )

    assert receipt.received_by == operator
    assert receipt.delivery_note == "DN-778"
    assert list(receipt.lines.values_list("sku", "quantity", "unit_cost")) == [
        (first.pk, 12, Decimal("6.50")),
        (second.pk, 3, Decimal("11.00")),
    ]
    stock = {s.sku_id: s.on_hand for s in Stock.objects.filter(warehouse=warehouse)}
    assert stock == {first.pk: 17, second.pk: 3}
    booked = StockMovement.objects.filter(reference=f"receipt {receipt.pk}")
    assert sorted(booked.values_list("kind", "quantity", "actor")) == [
        ("receipt", 3, operator.pk),
        ("receipt", 12, operator.pk),
    ]
    for row in Stock.objects.all():  # the ledger still sums to on_hand
        assert row.movements.aggregate(n=Sum("quantity"))["n"] == row.on_hand


REFUSALS = {
    "no lines": (lambda g: [], "at least one line"),
    "quantity zero": (lambda g: [(g[0], 0, "1.00")], "whole number of at least 1"),
    "quantity not whole": (lambda g: [(g[0], 2.5, "1.00")], "whole number of at least 1"),
    "quantity as text": (lambda g: [(g[0], "3", "1.00")], "whole number of at least 1"),
    "negative cost": (lambda g: [(g[0], 1, "-0.01")], "cannot be negative"),
    "float cost": (lambda g: [(g[0], 1, 1.5)], "must be an amount"),
    "no cost": (lambda g: [(g[0], 1, None)], "must be an amount"),
    "cost not a number": (lambda g: [(g[0], 1, "cheap")], "must be an amount"),
    "sku twice": (lambda g: [(g[0], 1, "1.00"), (g[0], 2, "1.00")], "already on an earlier"),
    "sku of another supplier": (
        lambda g: [(g[0], 1, "1.00"), (SKUFactory(), 1, "1.00")],
        "is not supplied by",
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_every_refusal_writes_nothing(case, goods, warehouse, operator):
    make_lines, expected = REFUSALS[case]
    lines = make_lines(goods)
    with pytest.raises(ReceiptRefused) as refused:
        book_purchase_receipt(
            supplier=goods[0].product.supplier, warehouse=warehouse, lines=lines, actor=operator
        )
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems
    assert _nothing_written()
    assert not Stock.objects.filter(on_hand__gt=0).exists()


def test_a_valid_line_is_not_booked_beside_a_bad_one(goods, warehouse, operator):
    first, second = goods
    with pytest.raises(ReceiptRefused):
        book_purchase_receipt(
            supplier=first.product.supplier,
            warehouse=warehouse,
            lines=[(first, 10, "5.00"), (second, -1, "5.00")],
            actor=operator,
        )
    assert _nothing_written()
    assert not Stock.objects.filter(on_hand__gt=0).exists()


def test_every_problem_is_listed_at_once(goods, warehouse, operator):
    warehouse.is_active = False
    warehouse.save()
    supplier = goods[0].product.supplier
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.SUSPENDED)
    with pytest.raises(ReceiptRefused) as refused:
        book_purchase_receipt(
            supplier=supplier,
            warehouse=warehouse,
            lines=[(goods[0], 0, "-1"), (goods[1], 1, "x")],
            actor=operator,
        )
    problems = refused.value.problems
    assert len(problems) == 5, problems
    assert "qualified suppliers" in problems[0] and "not active" in problems[1]
    assert problems[2].startswith(f"line 1 ({goods[0].code})")
    assert problems[4].startswith(f"line 2 ({goods[1].code})")
    assert _nothing_written()


def test_goods_come_only_from_qualified_suppliers(supplier, food, warehouse, operator):
    """A supplier suspended (through its transition) delivers nothing until reinstated."""
    sku = make_listed_product(supplier=supplier, category=food, stock=0).skus.get()
    admission.suspend_supplier(supplier=supplier, actor=operator, reason="资质过期")
    with pytest.raises(ReceiptRefused) as refused:
        book_purchase_receipt(
            supplier=supplier, warehouse=warehouse, lines=[(sku, 5, "100.00")], actor=operator
        )
    assert "qualified" in str(refused.value)
    assert _nothing_written()

    admission.reinstate_supplier(supplier=supplier, actor=operator, reason="资质已更新")
    receipt = book_purchase_receipt(
        supplier=supplier, warehouse=warehouse, lines=[(sku, 5, "100.00")], actor=operator
    )
    assert Stock.objects.get(sku=sku, warehouse=warehouse).on_hand == 5
    assert receipt.lines.get().unit_cost == Decimal("100.00")


# --- The admin ------------------------------------------------------------------------------


def add_url(**params):
    url = reverse("admin:catalog_purchasereceipt_add")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def receipt_post(supplier, warehouse, lines, **extra):
    data = {
        "supplier": supplier.pk,
        "warehouse": warehouse.pk,
        "delivery_note": "DN-1",
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, (sku, quantity, cost) in enumerate(lines):
        data[f"lines-{index}-sku"] = sku.pk if sku else ""
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_cost"] = cost
    return data


@pytest.fixture
def storekeeper(client):
    user = UserFactory(roles=["warehouse"])
    client.force_login(user)
    return user


def test_the_warehouse_books_a_receipt_in_the_admin(client, storekeeper, goods, warehouse):
    first, second = goods
    supplier = first.product.supplier
    page = client.get(add_url())
    assert page.status_code == 200
    assert b'name="lines-TOTAL_FORMS"' in page.content

    response = client.post(
        add_url(), receipt_post(supplier, warehouse, [(first, 4, "3.20"), (second, 6, "7")])
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    receipt = PurchaseReceipt.objects.get()
    assert receipt.received_by == storekeeper
    assert receipt.delivery_note == "DN-1"
    assert dict(Stock.objects.values_list("sku", "on_hand")) == {first.pk: 4, second.pk: 6}
    assert StockMovement.objects.filter(reference=f"receipt {receipt.pk}").count() == 2

    shown = client.get(reverse("admin:catalog_purchasereceipt_change", args=[receipt.pk]))
    assert shown.status_code == 200
    assert b'name="_save"' not in shown.content  # read-only afterwards
    assert b"3.20" in shown.content
    changelist = client.get(reverse("admin:catalog_purchasereceipt_changelist"))
    assert changelist.status_code == 200
    # 4 × 3.20 + 6 × 7.00
    assert b"54.80" in changelist.content


def test_the_admin_shows_every_refusal_and_writes_nothing(client, storekeeper, goods, warehouse):
    first = goods[0]
    other = SKUFactory()
    response = client.post(
        add_url(),
        receipt_post(
            first.product.supplier,
            warehouse,
            [(first, 4, "3.20"), (other, 1, "1.00"), (first, 2, "3.20")],
        ),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "is not supplied by" in text
    assert "already on an earlier line" in text
    assert _nothing_written()
    assert not Stock.objects.exists()


def test_an_empty_receipt_is_refused_in_the_admin(client, storekeeper, goods, warehouse):
    response = client.post(add_url(), receipt_post(goods[0].product.supplier, warehouse, []))
    assert response.status_code == 200
    assert "at least one line" in response.content.decode()
    assert _nothing_written()


def test_an_unqualified_supplier_is_refused_in_the_admin(client, storekeeper, goods, warehouse):
    supplier = goods[0].product.supplier
    Supplier.objects.filter(pk=supplier.pk).update(status=Supplier.Status.SUSPENDED)
    # Not offered on the form; a stale form posting it is refused on the field.
    assert (
        b"%d" % supplier.pk
        not in client.get(add_url()).context["adminform"].form["supplier"].as_widget().encode()
    )
    response = client.post(add_url(), receipt_post(supplier, warehouse, [(goods[0], 1, "1.00")]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["supplier"]
    assert _nothing_written()


def test_the_add_form_can_be_prefilled_from_replenishment(client, storekeeper, goods, warehouse):
    first, second = goods
    response = client.get(
        add_url(
            supplier=first.product.supplier_id,
            warehouse=warehouse.pk,
            lines=f"{first.pk}:12,{second.pk}:3",
        )
    )
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    initial = [form.initial for form in formset.forms if form.initial]
    assert [(row["sku"], row["quantity"]) for row in initial] == [(first.pk, 12), (second.pk, 3)]
    assert initial[0].get("unit_cost") is None  # no cost given: none suggested
    assert response.context["adminform"].form.initial["supplier"] == str(first.product.supplier_id)


def test_receipts_are_never_changed_or_deleted(client, goods, warehouse, operator):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    receipt = book_purchase_receipt(
        supplier=goods[0].product.supplier,
        warehouse=warehouse,
        lines=[(goods[0], 1, "1.00")],
        actor=operator,
    )
    change = reverse("admin:catalog_purchasereceipt_change", args=[receipt.pk])
    edit = {"supplier": SupplierFactory().pk, "warehouse": warehouse.pk}
    assert client.post(change, edit).status_code == 403
    delete = reverse("admin:catalog_purchasereceipt_delete", args=[receipt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    receipt.refresh_from_db()
    assert receipt.supplier == goods[0].product.supplier
    assert PurchaseReceipt.objects.count() == 1


def test_a_malformed_prefill_is_ignored(client, storekeeper, goods):
    sku = goods[0].pk
    response = client.get(add_url(lines=f"x:1,{sku},{sku}:-2,{sku}:4:abc,{sku}:5:2.5"))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    initial = [form.initial for form in formset.forms if form.initial]
    assert initial == [
        {"sku": sku, "quantity": 4},
        {"sku": sku, "quantity": 5, "unit_cost": Decimal("2.50")},
    ]
