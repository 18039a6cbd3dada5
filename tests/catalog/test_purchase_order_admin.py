"""The purchase-order pages: an operator drafts (from the suggestions or by hand) and
sends, the supplier's own user confirms or amends, the warehouse receives; a supplier's
user sees nothing of another supplier; the lists keep their query counts."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from catalog.models import (
    SKU,
    PurchaseOrder,
    QualificationDocument,
    ReceiptDifference,
    SkuCost,
    Stock,
    Supplier,
)
from catalog.services import purchase_orders as po
from tests.catalog.factories import (
    SKUFactory,
    SupplierFactory,
    WarehouseFactory,
    make_listed_product,
    supplier_user,
)
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:catalog_{name}", args=args)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="hz")


@pytest.fixture
def goods(warehouse):
    """A listed product with two SKUs, none in stock, wanted by the replenishment list
    (a safety stock of 10 each)."""
    product = make_listed_product(prices=("30.00", "50.00"), stock=0, warehouse=warehouse)
    SKU.objects.filter(product=product).update(safety_stock=10)
    return list(product.skus.order_by("position"))


@pytest.fixture
def clerk():
    return UserFactory(roles=["warehouse"])


def _login(client, user):
    client.force_login(user)
    return client


def test_operator_drafts_from_suggestions_sends_and_the_warehouse_receives_short(
    client, operator, clerk, goods, warehouse
):
    first, second = goods
    supplier = first.product.supplier
    _login(client, operator)
    page = client.get(url("purchaseorder_add") + f"?supplier={supplier.pk}")
    assert page.status_code == 200
    response = client.post(
        url("purchaseorder_add"),
        {"supplier": supplier.pk, "warehouse": warehouse.pk, "expected_date": "", "lines": ""},
    )
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302, response.content
    assert order.from_suggestion and order.status == "draft"
    assert sorted(order.lines.values_list("sku__code", "quantity")) == sorted(
        [(first.code, 10), (second.code, 10)]
    )
    response = client.post(
        url("purchaseorder_changelist"), {"action": "send", ACTION_CHECKBOX_NAME: [order.pk]}
    )
    order.refresh_from_db()
    assert order.status == "sent", messages_of(response)

    po.confirm_purchase_order(order=order, actor=supplier_user(supplier))
    line = order.lines.get(sku=first)
    other = order.lines.get(sku=second)

    _login(client, clerk)
    change = client.get(url("purchaseorder_change", order.pk))
    assert url("purchaseorder_receive", order.pk).encode() in change.content
    assert client.get(url("purchaseorder_receive", order.pk)).status_code == 200
    response = client.post(
        url("purchaseorder_receive", order.pk),
        {
            f"a{line.pk}": 7,
            f"d{line.pk}": 1,
            f"a{other.pk}": 0,
            f"d{other.pk}": 0,
            "delivery_note": "DN-1",
            "final": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    order.refresh_from_db()
    assert order.status == "closed_short"
    assert Stock.objects.get(sku=first, warehouse=warehouse).on_hand == 6
    assert sorted(
        ReceiptDifference.objects.values_list("line__sku__code", "kind", "quantity")
    ) == sorted(
        [
            (first.code, "damaged", 1),
            (first.code, "short", 3),
            (second.code, "short", 10),
        ]
    )
    assert SkuCost.objects.get(sku=first).average == line.unit_cost
    # Read in Chinese: the decisions by their names, the lines by their SKU codes, and no
    # save button (every field is read-only; the order moves through actions and pages).
    page = client.get(
        url("purchaseorder_change", order.pk), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "短缺结单" in page and "起草采购单" in page and "发送给供应商" in page
    assert f"{first.code} × 10" in page
    assert 'name="_save"' not in page


def test_a_typed_order_with_a_bad_line_is_redisplayed_with_the_line_named(
    client, operator, goods, warehouse
):
    first, _second = goods
    _login(client, operator)
    response = client.post(
        url("purchaseorder_add"),
        {
            "supplier": first.product.supplier_id,
            "warehouse": warehouse.pk,
            "expected_date": "2099-01-01",
            "lines": f"{first.code} 5 12.50\nNOPE 3 1.00\n{first.code} x 1",
        },
    )
    assert response.status_code == 200
    assert "2, 3" in str(response.context["form"].non_field_errors())
    assert not PurchaseOrder.objects.exists()

    response = client.post(
        url("purchaseorder_add"),
        {
            "supplier": first.product.supplier_id,
            "warehouse": warehouse.pk,
            "expected_date": "2099-01-01",
            "lines": f"{first.code.lower()} 5 12.50",
        },
    )
    assert response.status_code == 302
    assert PurchaseOrder.objects.get().lines.get().unit_cost == Decimal("12.50")


def test_a_bad_count_on_receiving_is_a_form_error_and_books_nothing(
    client, operator, clerk, goods, warehouse
):
    order = _sent_order(goods, warehouse, operator)
    po.confirm_purchase_order(order=order, actor=operator)
    line, other = order.lines.order_by("pk")
    _login(client, clerk)
    response = client.post(
        url("purchaseorder_receive", order.pk),
        {f"a{line.pk}": 2, f"d{line.pk}": 3, f"a{other.pk}": 1, f"d{other.pk}": 0},
    )
    assert response.status_code == 200
    assert "more units damaged than arrived" in str(response.context["form"].non_field_errors())
    assert not Stock.objects.filter(on_hand__gt=0).exists()


def _sent_order(goods, warehouse, operator, supplier=None):
    order = po.create_purchase_order(
        supplier=supplier or goods[0].product.supplier,
        warehouse=warehouse,
        lines=[(sku, 10, "20.00") for sku in goods],
        expected_date=timezone.localdate(),
        actor=operator,
    )
    return po.send_purchase_order(order=order, actor=operator)


# --- The supplier's own user -----------------------------------------------------------------


def test_a_supplier_user_sees_confirms_and_amends_only_its_own_orders(
    client, operator, goods, warehouse
):
    own = _sent_order(goods, warehouse, operator)
    stranger_goods = list(
        make_listed_product(prices=("9.00",), stock=0, warehouse=warehouse).skus.all()
    )
    theirs = _sent_order(stranger_goods, warehouse, operator)
    draft = po.create_purchase_order(
        supplier=goods[0].product.supplier,
        warehouse=warehouse,
        lines=[(goods[0], 1, "1.00")],
        expected_date=own.expected_date,
        actor=operator,
    )
    user = supplier_user(goods[0].product.supplier)
    _login(client, user)

    listed = client.get(url("purchaseorder_changelist"))
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == [own]  # not theirs, not the draft
    assert client.get(url("purchaseorder_change", theirs.pk)).status_code == 302  # "not found"
    assert client.get(url("purchaseorder_amend", theirs.pk)).status_code == 404
    assert client.get(url("purchaseorder_change", draft.pk)).status_code == 302
    assert client.get(url("purchaseorder_add")).status_code == 403
    assert client.get(url("purchaseorder_receive", own.pk)).status_code == 403

    # Acting on another supplier's order through the changelist touches nothing.
    client.post(
        url("purchaseorder_changelist"),
        {"action": "confirm", ACTION_CHECKBOX_NAME: [theirs.pk], "apply": "1", "reason": ""},
    )
    theirs.refresh_from_db()
    assert theirs.status == "sent"

    line = own.lines.first()
    amend = client.get(url("purchaseorder_amend", own.pk))
    assert amend.status_code == 200
    data = {f"q{other.pk}": other.quantity for other in own.lines.all()} | {
        f"c{other.pk}": str(other.unit_cost) for other in own.lines.all()
    }
    data |= {
        f"q{line.pk}": 8,
        "expected_date": own.expected_date.isoformat(),
        "reason": "只有 8 件现货",
    }
    response = client.post(url("purchaseorder_amend", own.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    own.refresh_from_db()
    line.refresh_from_db()
    assert own.status == "amended" and line.quantity == 8
    assert "只有 8 件现货" in own.history.latest("pk").reason

    # Other suppliers, and the shop's own records, stay out of sight.
    suppliers = client.get(url("supplier_changelist"))
    assert list(suppliers.context["cl"].result_list) == [goods[0].product.supplier]
    assert client.get(url("stock_changelist")).status_code == 403
    assert client.get(url("lowstockalert_changelist")).status_code == 403


def test_a_supplier_user_uploads_a_renewal_for_review_and_sees_only_its_documents(
    client, operator, goods
):
    from tests.catalog.conftest import PDF, add_document

    supplier = goods[0].product.supplier
    other = SupplierFactory()
    add_document(other, "business_licence")
    user = supplier_user(supplier)
    _login(client, user)
    page = client.get(url("qualificationdocument_add"))
    assert list(page.context["form"].fields["supplier"].queryset) == [supplier]
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        url("qualificationdocument_add"),
        {
            "supplier": other.pk,  # not theirs: refused by the form
            "doc_type": "food_permit",
            "number": "JY133",
            "issuer": "市场监督管理局",
            "valid_from": "2026-01-01",
            "valid_to": "2099-01-01",
            "scan": SimpleUploadedFile("permit.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 200
    assert not QualificationDocument.objects.filter(supplier=other, number="JY133").exists()
    response = client.post(
        url("qualificationdocument_add"),
        {
            "supplier": supplier.pk,
            "doc_type": "food_permit",
            "number": "JY133",
            "issuer": "市场监督管理局",
            "valid_from": "2026-01-01",
            "valid_to": "2099-01-01",
            "scan": SimpleUploadedFile("permit.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    document = QualificationDocument.objects.get(number="JY133")
    assert document.review_status == "pending" and document.uploaded_by == user
    listed = client.get(url("qualificationdocument_changelist"))
    assert {d.supplier_id for d in listed.context["cl"].result_list} == {supplier.pk}

    _login(client, operator)
    client.post(
        url("qualificationdocument_changelist"),
        {"action": "accept", ACTION_CHECKBOX_NAME: [document.pk], "apply": "1", "reason": ""},
    )
    document.refresh_from_db()
    assert document.review_status == "accepted" and document.reviewed_by == operator


# --- Query counts ----------------------------------------------------------------------------


def _orders(count, warehouse, operator):
    for _ in range(count):
        product = make_listed_product(prices=("9.00", "11.00"), stock=0, warehouse=warehouse)
        _sent_order(list(product.skus.all()), warehouse, operator)


@pytest.mark.parametrize("count", [2, 20])
def test_purchase_order_pages_run_a_fixed_number_of_queries(
    client, operator, warehouse, django_assert_max_num_queries, count
):
    _orders(count, warehouse, operator)
    order = PurchaseOrder.objects.first()
    po.confirm_purchase_order(order=order, actor=operator)
    _login(client, operator)
    with django_assert_max_num_queries(14):
        response = client.get(url("purchaseorder_changelist"))
    assert len(response.context["cl"].result_list) == count
    # An order's pages grow with its lines, not with the queries.
    extra = [SKUFactory(product=order.lines.first().sku.product) for _ in range(count)]
    for sku in extra:
        order.lines.create(sku=sku, quantity=1, unit_cost="1.00")
    for name in ("purchaseorder_change", "purchaseorder_receive"):
        with django_assert_max_num_queries(22):
            assert client.get(url(name, order.pk)).status_code == 200


def test_supplier_pages_open_for_operators(client, operator, goods):
    _login(client, operator)
    for name in (
        "rereviewtask_changelist",
        "lowstockalert_changelist",
        "holiday_changelist",
        "skucost_changelist",
        "qualificationdocument_changelist",
        "overdue_counts",
    ):
        assert client.get(url(name)).status_code == 200, name
    assert Supplier.objects.exists()
