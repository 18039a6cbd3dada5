"""The operators' admin for goods admission: who gets in, the actions (through the
services), uploads, highlighting, import / export and bounded query counts."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog.admin.resources import COLUMNS
from catalog.models import (
    SKU,
    Product,
    ProductStatusChange,
    QualificationDocument,
    SpotCheck,
    StockMovement,
    Supplier,
    SupplierStatusChange,
)
from catalog.services import admission, listing
from tests.catalog.conftest import (
    PDF,
    add_document,
    admit_and_list,
    make_ready_product,
    make_supplier,
)
from tests.catalog.factories import (
    CategoryFactory,
    ProductFactory,
    SKUFactory,
    StockFactory,
    SupplierFactory,
    jpeg_upload,
    make_listed_product,
)
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def url(name, *args):
    return reverse(f"admin:catalog_{name}", args=args)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, model, action, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url(f"{model}_changelist"), data)


# --- Who gets in ----------------------------------------------------------------------------

CHANGELISTS = [
    "supplier",
    "product",
    "category",
    "prohibitedword",
    "spotcheck",
    "sku",
    "skuprice",
    "warehouse",
    "stock",
    "stockmovement",
]


@pytest.mark.parametrize("model", CHANGELISTS)
def test_an_operator_opens_every_changelist(operator_client, model):
    assert operator_client.get(url(f"{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["supplier", "product", "category", "prohibitedword"])
def test_an_operator_opens_the_add_forms(operator_client, model):
    assert operator_client.get(url(f"{model}_add")).status_code == 200


def test_a_support_agent_is_sent_to_the_login(client):
    client.force_login(UserFactory(roles=["support_agent"]))
    changelist = url("supplier_changelist")

    response = client.get(changelist)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={changelist}"


def test_a_warehouse_clerk_views_stock_but_cannot_change_goods(client):
    stock = StockFactory(on_hand=7)
    product = stock.sku.product
    client.force_login(UserFactory(roles=["warehouse"]))

    assert client.get(url("stock_changelist")).status_code == 200
    assert client.get(url("stockmovement_changelist")).status_code == 200
    detail = client.get(url("product_change", product.pk))
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False
    assert client.post(url("product_change", product.pk), {"name": "改名"}).status_code == 403
    assert client.get(url("product_add")).status_code == 403
    assert client.get(url("supplier_changelist")).status_code == 403
    product.refresh_from_db()
    assert product.name != "改名"


def test_nobody_adds_changes_or_deletes_stock_movements_not_even_a_superuser(client):
    stock = StockFactory(on_hand=3)
    movement = StockMovement.objects.get(stock=stock)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(url("stockmovement_add")).status_code == 403
    detail = client.get(url("stockmovement_change", movement.pk))
    assert detail.status_code == 200
    assert detail.context["has_add_permission"] is False
    assert detail.context["has_change_permission"] is False
    assert detail.context["has_delete_permission"] is False
    assert client.post(url("stockmovement_delete", movement.pk), {"post": "yes"}).status_code == 403
    assert client.get(url("stock_add")).status_code == 403
    assert StockMovement.objects.filter(pk=movement.pk).exists()


# --- Supplier actions -----------------------------------------------------------------------


def test_approving_suppliers_goes_through_the_service_and_reports_each_refusal(
    operator_client, operator, reviewer, food
):
    ready = make_supplier(categories=[food.parent], approved=False)
    admission.start_supplier_review(supplier=ready, actor=reviewer)
    unreviewed = make_supplier(categories=[food.parent], approved=False)
    lacking = make_supplier(categories=[food.parent], approved=False, documents=())
    admission.start_supplier_review(supplier=lacking, actor=reviewer)
    own = make_supplier(categories=[food.parent], approved=False)
    admission.start_supplier_review(supplier=own, actor=operator)

    response = run_action(operator_client, "supplier", "approve", [ready, unreviewed, lacking, own])

    assert response.status_code == 302
    ready.refresh_from_db()
    unreviewed.refresh_from_db()
    lacking.refresh_from_db()
    assert ready.status == Supplier.Status.APPROVED
    assert ready.next_review_due is not None
    assert unreviewed.status == Supplier.Status.APPLIED
    assert lacking.status == Supplier.Status.UNDER_REVIEW
    change = SupplierStatusChange.objects.get(subject=ready, transition="approve")
    assert change.actor == operator
    messages = messages_of(response)
    assert "1 supplier(s) approved." in messages
    # Each refusal is a warning naming the action and the supplier, with every reason.
    assert any(str(unreviewed) in m and "not possible" in m for m in messages)
    assert any(
        m.startswith(f"Could not approve “{lacking}”")
        and "no valid Business licence" in m
        and "Food" in m
        for m in messages
    )
    assert any(f"Could not approve “{own}”" in m and "you reviewed" in m for m in messages)
    levels = {m.level_tag for m in get_messages(response.wsgi_request)}
    assert levels == {"success", "warning"}
    own.refresh_from_db()
    assert own.status == Supplier.Status.UNDER_REVIEW


def test_suspending_asks_for_a_reason_first(operator_client, operator, supplier, food):
    listed = make_ready_product(supplier, food, operator)
    admit_and_list(listed, operator)

    page = run_action(operator_client, "supplier", "suspend", [supplier])

    assert page.status_code == 200
    assert "admin/mall/action_reason.html" in [t.name for t in page.templates]
    assert 'name="reason"' in page.content.decode()
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED

    empty = run_action(operator_client, "supplier", "suspend", [supplier], apply="1", reason=" ")
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED

    done = run_action(
        operator_client, "supplier", "suspend", [supplier], apply="1", reason="资质造假"
    )
    assert done.status_code == 302
    supplier.refresh_from_db()
    listed.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert listed.status == Product.Status.DELISTED
    change = SupplierStatusChange.objects.get(subject=supplier, transition="suspend")
    assert (change.actor, change.reason) == (operator, "资质造假")
    history = operator_client.get(url("supplier_change", supplier.pk)).content.decode()
    assert "资质造假" in history  # the operator sees every decision on the supplier


def test_the_actions_offered_follow_the_status_filter(operator_client):
    approved = operator_client.get(url("supplier_changelist") + "?status__exact=approved")
    applied = operator_client.get(url("supplier_changelist") + "?status__exact=applied")
    unfiltered = operator_client.get(url("supplier_changelist"))

    def offered(response):
        return {name for name, _ in response.context["action_form"].fields["action"].choices}

    assert {"suspend", "terminate", "re_review_passed"} <= offered(approved)
    assert not {"approve", "start_review", "reinstate"} & offered(approved)
    assert {"start_review", "terminate"} <= offered(applied)
    assert "suspend" not in offered(applied)
    assert {"approve", "suspend", "reinstate", "delete_selected"} & offered(unfiltered) == {
        "approve",
        "suspend",
        "reinstate",
    }


def test_a_failed_re_review_suspends_with_the_notes(operator_client, operator, supplier):
    response = run_action(
        operator_client, "supplier", "re_review_failed", [supplier], apply="1", reason="现场不符"
    )

    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert SupplierStatusChange.objects.get(subject=supplier, transition="suspend").reason == (
        "Failed re-review: 现场不符"
    )


# --- Supplier documents ---------------------------------------------------------------------


def _supplier_form(supplier, **documents):
    data = {
        "name": supplier.name,
        "credit_code": supplier.credit_code,
        "contact_name": supplier.contact_name,
        "contact_phone": supplier.contact_phone,
        "contact_email": "",
        "address": "",
        "documents-TOTAL_FORMS": "1",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
        "documents-0-doc_type": "business_licence",
        "documents-0-number": "BL-2024-001",
        "documents-0-issuer": "杭州市市场监督管理局",
        "documents-0-valid_from": "2024-01-01",
        "documents-0-valid_to": (TODAY() + datetime.timedelta(days=700)).isoformat(),
        "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0",
        "history-MIN_NUM_FORMS": "0",
        "history-MAX_NUM_FORMS": "0",
    }
    data.update({f"documents-0-{key}": value for key, value in documents.items()})
    return data


def test_a_text_file_named_jpg_is_refused_and_nothing_is_saved(operator_client):
    supplier = make_supplier(approved=False, documents=())
    fake = SimpleUploadedFile("licence.jpg", b"just some text", content_type="image/jpeg")

    response = operator_client.post(
        url("supplier_change", supplier.pk), _supplier_form(supplier, scan=fake)
    )

    assert response.status_code == 200
    assert "The file is not an image we can read." in response.content.decode()
    assert not QualificationDocument.objects.filter(supplier=supplier).exists()


@pytest.mark.parametrize(
    ("upload", "suffix"),
    [
        (SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf"), ".pdf"),
        (jpeg_upload("licence.png"), ".jpg"),
    ],
)
def test_a_scan_is_checked_and_stored_under_a_new_name(operator_client, upload, suffix):
    supplier = make_supplier(approved=False, documents=())

    response = operator_client.post(
        url("supplier_change", supplier.pk), _supplier_form(supplier, scan=upload)
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    document = QualificationDocument.objects.get(supplier=supplier)
    assert document.scan.name.startswith(f"qualifications/{supplier.pk}/")
    assert document.scan.name.endswith(suffix)
    assert "licence" not in document.scan.name  # named by a random id, not by the upload


def test_expired_and_expiring_documents_are_highlighted(operator_client):
    supplier = make_supplier(approved=False, documents=())
    add_document(
        supplier,
        "business_licence",
        valid_from=TODAY() - datetime.timedelta(days=400),
        valid_to=TODAY() - datetime.timedelta(days=3),
    )
    add_document(supplier, "food_permit", valid_to=TODAY() + datetime.timedelta(days=10))
    add_document(supplier, "ccc", valid_to=TODAY() + datetime.timedelta(days=200))

    page = operator_client.get(url("supplier_change", supplier.pk)).content.decode()

    assert page.count('class="date-past"') == 1
    assert page.count('class="date-soon"') == 1
    assert "expired" in page
    assert "<img" in page or "Open the PDF" in page


def test_the_supplier_list_highlights_an_overdue_re_review(operator_client):
    SupplierFactory(name="逾期复审公司", next_review_due=TODAY() - datetime.timedelta(days=1))
    SupplierFactory(name="按期复审公司", next_review_due=TODAY() + datetime.timedelta(days=90))

    overdue = operator_client.get(url("supplier_changelist") + "?re_review=overdue")

    page = overdue.content.decode()
    assert "逾期复审公司" in page
    assert "按期复审公司" not in page
    assert 'class="date-past"' in page


# --- Goods actions ----------------------------------------------------------------------------


def test_a_refused_submission_shows_every_problem(operator_client, supplier, food):
    product = listing.create_product(
        supplier=supplier, category=food, actor=None, name="白茶", description=""
    )

    response = run_action(operator_client, "product", "submit", [product])

    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    [message] = messages_of(response)
    for problem in (
        "at least one image is required",
        "at least one SKU on sale is required",
        "the description is missing",
        "the after-sales terms are missing",
        "the attribute “品牌” is missing",
    ):
        assert problem in message


def test_goods_are_submitted_approved_and_rejected_with_a_reason(
    operator_client, operator, reviewer, supplier, food, client
):
    first = make_ready_product(supplier, food, operator)
    second = make_ready_product(supplier, food, operator, name="西湖龙井 雨前")

    submitted = run_action(operator_client, "product", "submit", [first, second])
    assert "2 product(s) submitted for review." in messages_of(submitted)
    own = run_action(operator_client, "product", "approve", [first])
    assert messages_of(own)[-1] == (
        f"Could not approve “{first}”: Another operator must review “{first}”: you submitted it."
    )
    from django.test import Client

    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    approved = run_action(reviewer_client, "product", "approve", [first])
    assert "1 product(s) approved." in messages_of(approved)
    page = run_action(reviewer_client, "product", "reject", [second])
    assert page.status_code == 200
    rejected = run_action(
        reviewer_client, "product", "reject", [second], apply="1", reason="图片不清晰"
    )

    assert rejected.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Product.Status.APPROVED
    assert second.status == Product.Status.REJECTED
    change = ProductStatusChange.objects.get(subject=second, transition="reject")
    assert (change.actor, change.reason) == (reviewer, "图片不清晰")
    history = operator_client.get(url("product_change", second.pk)).content.decode()
    assert "图片不清晰" in history


def test_the_review_queue_is_one_click_away(operator_client):
    waiting = ProductFactory(status=Product.Status.SUBMITTED, name="待审商品")
    ProductFactory(status=Product.Status.DRAFT, name="草稿商品")

    changelist = operator_client.get(url("product_changelist")).content.decode()
    queue = operator_client.get(url("product_changelist") + "?status__exact=submitted")

    assert "Review queue (submitted)" in changelist
    assert "?status__exact=submitted" in changelist
    assert list(queue.context["cl"].result_list) == [waiting]


def test_listed_goods_are_read_only_until_revised(operator_client, operator):
    product = make_listed_product(name="在售商品")

    detail = operator_client.get(url("product_change", product.pk))

    fields = detail.context["adminform"].form.fields
    assert "name" not in fields
    assert "featured" in fields
    assert detail.context["inline_admin_formsets"][0].has_add_permission is False


def test_saving_goods_in_the_admin_keeps_the_search_text(operator_client, supplier, food):
    data = {
        "supplier": supplier.pk,
        "category": food.pk,
        "name": "Longjing 龙井",
        "brand": "Shifeng",
        "description": "",
        "after_sales_terms": "",
        "no_reason_return": "on",
        # The category's information and attributes, as the fields made from its schema.
        "info__ingredients": "绿茶",
        "info__shelf_life": "18 个月",
        "info__storage": "密封",
        "attr__brand": "Shifeng",
    }
    for prefix in ("skus", "images"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(
        {
            "skus-0-code": "lj-250",
            "skus-0-weight_grams": "250",
            "skus-0-is_active": "on",
            "skus-0-position": "0",
            "images-0-image": jpeg_upload(),
            "images-0-alt": "茶汤",
            "images-0-position": "0",
        }
    )

    response = operator_client.post(url("product_add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    product = Product.objects.get(name="Longjing 龙井")
    assert product.status == Product.Status.DRAFT
    assert "longjing 龙井" in product.search_text and "shifeng" in product.search_text
    assert product.skus.get().code == "LJ-250"
    image = product.images.get()
    assert image.thumb_small and image.thumb_medium
    assert image.image.name.endswith(".jpg")


def test_operators_read_the_price_history_but_never_write_it_directly(operator_client):
    product = make_listed_product(prices=("10.00",))
    price = product.skus.get().prices.get()

    assert operator_client.get(url("skuprice_change", price.pk)).status_code == 200
    add = operator_client.post(url("skuprice_add"), {"sku": price.sku_id, "amount": "12.50"})
    assert add.status_code == 403
    assert operator_client.post(url("skuprice_change", price.pk), {}).status_code == 403


# --- Categories ---------------------------------------------------------------------------------


def test_categories_are_listed_as_a_tree_and_edited_with_checkboxes(operator_client):
    root = CategoryFactory(name="食品", position=1)
    CategoryFactory(name="饮料", position=0)
    child = CategoryFactory(name="茶叶", parent=root)

    changelist = operator_client.get(url("category_changelist"))
    response = operator_client.post(
        url("category_change", child.pk),
        {
            "name": "茶叶",
            "name_en": "Tea",
            "slug": child.slug,
            "parent": root.pk,
            "position": "0",
            "is_active": "on",
            "required_documents": ["food_permit", "quality_report"],
            "required_info": ["shelf_life"],
            "attributes-TOTAL_FORMS": "0",
            "attributes-INITIAL_FORMS": "0",
            "attributes-MIN_NUM_FORMS": "0",
            "attributes-MAX_NUM_FORMS": "1000",
        },
    )

    rows = changelist.context["cl"].result_list
    assert [(c.name, c.tree_depth) for c in rows] == [("饮料", 0), ("食品", 0), ("茶叶", 1)]
    assert 'type="checkbox" name="required_documents"' in (
        operator_client.get(url("category_add")).content.decode()
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.required_documents == ["food_permit", "quality_report"]
    assert child.required_info == ["shelf_life"]


# --- Spot checks ------------------------------------------------------------------------------


def test_a_failed_spot_check_needs_findings_and_delists(operator_client, operator):
    product = make_listed_product()
    check = SpotCheck.objects.create(
        product=product, supplier=product.supplier, period=TODAY().replace(day=1)
    )

    page = run_action(operator_client, "spotcheck", "record_failed", [check])
    assert page.status_code == 200
    done = run_action(
        operator_client, "spotcheck", "record_failed", [check], apply="1", reason="标签不符"
    )

    assert done.status_code == 302
    check.refresh_from_db()
    product.refresh_from_db()
    assert (check.result, check.findings, check.checked_by) == ("failed", "标签不符", operator)
    assert product.status == Product.Status.DELISTED
    again = run_action(operator_client, "spotcheck", "record_passed", [check], apply="1")
    assert any("already recorded" in m for m in messages_of(again))


# --- Import and export --------------------------------------------------------------------------


def _csv(rows, header=COLUMNS):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("goods.csv", out.getvalue().encode("utf-8"), "text/csv")


def _row(supplier, category, name, code, spec="颜色=红;尺码=M", weight="250"):
    return [
        supplier.credit_code,
        category.slug,
        name,
        "副标题",
        "狮峰",
        "明前采摘。",
        "浙江杭州",
        "7 天无理由退货",
        code,
        spec,
        weight,
        "6901234567892",
    ]


def _preview(client, upload, file_format="0"):
    return client.post(
        url("product_import"), {"resource": "0", "format": file_format, "import_file": upload}
    )


def test_the_import_preview_reports_each_bad_row_and_imports_nothing(operator_client):
    supplier = SupplierFactory()
    tea = CategoryFactory(slug="tea")
    upload = _csv(
        [
            _row(supplier, tea, "好茶", "T-1"),
            [
                *_row(supplier, tea, "好茶", "T-2")[:1],
                "no-such-category",
                *_row(supplier, tea, "好茶", "T-2")[2:],
            ],
            _row(supplier, tea, "好茶", "T-3", weight="0.5"),
            _row(supplier, tea, "好茶", "t-1"),
        ]
    )

    response = _preview(operator_client, upload)

    assert response.status_code == 200
    result = response.context["result"]
    assert "confirm_form" not in response.context
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(errors) == {2, 3, 4}
    assert "No category has the slug “no-such-category”." in errors[2]["category_slug"]
    assert any("whole number of grams" in m for m in errors[3]["weight_grams"])
    assert "The SKU code T-1 is already in row 1 of this file." in errors[4]["sku_code"]
    page = response.content.decode()
    assert "no-such-category" in page
    assert not Product.objects.exists()
    assert not SKU.objects.exists()


def test_an_unknown_supplier_and_listed_goods_are_errors(operator_client):
    supplier = SupplierFactory()
    listed = make_listed_product(supplier=supplier, name="在售商品")
    sku = listed.skus.get()
    upload = _csv(
        [
            ["91000000000000000X", *_row(supplier, listed.category, "新品", "N-1")[1:]],
            _row(supplier, listed.category, "在售商品", sku.code),
        ]
    )

    result = _preview(operator_client, upload).context["result"]

    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert "No supplier has the credit code" in errors[1]["supplier_credit_code"][0]
    assert "import changes draft goods only" in errors[2]["__all__"][0]
    listed.refresh_from_db()
    assert listed.status == Product.Status.LISTED
    assert not Product.objects.filter(name="新品").exists()


def test_a_valid_import_creates_draft_goods_with_their_skus(operator_client, operator):
    supplier = SupplierFactory()
    tea = CategoryFactory(slug="tea")
    upload = _csv(
        [
            _row(supplier, tea, "龙井", "lj-250", spec="规格=250g"),
            _row(supplier, tea, "龙井", "LJ-500", spec="规格＝500g；包装=礼盒", weight="500"),
            _row(supplier, tea, "碧螺春", "BLC-1", spec=""),
        ]
    )

    preview = _preview(operator_client, upload)

    assert not preview.context["result"].has_validation_errors()
    assert not Product.objects.exists()  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    done = operator_client.post(url("product_process_import"), confirm.initial)

    assert done.status_code == 302
    longjing = Product.objects.get(name="龙井")
    assert longjing.status == Product.Status.DRAFT
    assert longjing.created_by == operator
    assert "龙井" in longjing.search_text
    assert [(s.code, s.spec, s.weight_grams, s.position) for s in longjing.skus.all()] == [
        ("LJ-250", {"规格": "250g"}, 250, 0),
        ("LJ-500", {"规格": "500g", "包装": "礼盒"}, 500, 1),
    ]
    assert Product.objects.get(name="碧螺春").skus.get().spec == {}

    # The same file again changes the draft goods in place: nothing new.
    again = _csv([_row(supplier, tea, "龙井", "LJ-250", spec="规格=250克")])
    confirm = _preview(operator_client, again).context["confirm_form"]
    operator_client.post(url("product_process_import"), confirm.initial)
    assert Product.objects.count() == 2
    assert SKU.objects.get(code="LJ-250").spec == {"规格": "250克"}


def test_goods_submitted_between_preview_and_confirmation_are_left_alone(operator_client):
    product = make_listed_product(status=Product.Status.DRAFT, name="草稿")
    sku = product.skus.get()
    upload = _csv([_row(product.supplier, product.category, "草稿", sku.code, weight="999")])
    confirm = _preview(operator_client, upload).context["confirm_form"]
    Product.objects.filter(pk=product.pk).update(status=Product.Status.SUBMITTED)

    done = operator_client.post(url("product_process_import"), confirm.initial)

    assert done.status_code == 302
    assert done.url == url("product_import")
    assert any(m.startswith("Nothing was imported") for m in messages_of(done))
    sku.refresh_from_db()
    assert sku.weight_grams != 999


def test_a_file_without_the_columns_is_refused(operator_client):
    upload = _csv([["x", "y"]], header=["name", "price"])

    result = _preview(operator_client, upload).context["result"]

    assert result.has_errors()
    assert "The file lacks the columns" in str(result.base_errors[0].error)


def test_an_analyst_may_export_but_not_import(client):
    client.force_login(UserFactory(roles=["analyst"]))

    assert client.get(url("product_import")).status_code == 403
    assert client.get(url("product_export")).status_code == 200


def test_export_writes_the_changelist_one_row_per_sku(operator_client):
    product = make_listed_product(prices=("10.00", "20.00"), specs=[{"颜色": "红"}, {"颜色": "蓝"}])
    make_listed_product(name="不导出", status=Product.Status.DRAFT)

    response = operator_client.post(
        url("product_export") + "?status__exact=listed", {"resource": "0", "format": "0"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    assert [row[8] for row in rows[1:]] == [sku.code for sku in product.skus.all()]
    assert rows[1][0] == product.supplier.credit_code
    assert [row[9] for row in rows[1:]] == ["颜色=红", "颜色=蓝"]


def test_an_xlsx_export_can_be_imported_again(operator_client):
    product = make_listed_product(status=Product.Status.DRAFT, name="=SUM(A1)")

    response = operator_client.post(url("product_export"), {"resource": "0", "format": "1"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0] == COLUMNS
    assert rows[1][2] == "'=SUM(A1)"  # not a formula in the operator's spreadsheet
    upload = SimpleUploadedFile("goods.xlsx", response.content)
    preview = _preview(operator_client, upload, file_format="1")
    assert not preview.context["result"].has_validation_errors()
    assert not preview.context["result"].has_errors()
    operator_client.post(url("product_process_import"), preview.context["confirm_form"].initial)
    product.refresh_from_db()
    assert product.name == "=SUM(A1)"
    assert Product.objects.count() == 1


# --- Query counts -------------------------------------------------------------------------------


def _count_queries(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(path)
    assert response.status_code == 200
    return response


def test_the_supplier_changelist_runs_a_fixed_number_of_queries(
    operator_client, django_assert_max_num_queries
):
    categories = [CategoryFactory(), CategoryFactory()]
    for _ in range(30):
        supplier = SupplierFactory(categories=categories, next_review_due=TODAY())
        add_document(supplier, "business_licence")

    response = _count_queries(
        operator_client, url("supplier_changelist"), django_assert_max_num_queries, 12
    )

    assert len(response.context["cl"].result_list) == 30


def test_the_product_changelist_runs_a_fixed_number_of_queries(
    operator_client, django_assert_max_num_queries
):
    for _ in range(30):
        product = ProductFactory()
        SKUFactory(product=product)
        SKUFactory(product=product)

    response = _count_queries(
        operator_client, url("product_changelist"), django_assert_max_num_queries, 12
    )

    assert len(response.context["cl"].result_list) == 30


def test_the_spot_check_changelist_runs_a_fixed_number_of_queries(
    operator_client, operator, django_assert_max_num_queries
):
    period = TODAY().replace(day=1)
    for index in range(30):
        product = ProductFactory()
        check = SpotCheck.objects.create(product=product, supplier=product.supplier, period=period)
        if index % 3 == 0:
            admission.record_spot_check(check=check, actor=operator, passed=True, findings="")

    response = _count_queries(
        operator_client, url("spotcheck_changelist"), django_assert_max_num_queries, 12
    )

    results = list(response.context["cl"].result_list)
    assert len(results) == 30
    assert [c.result for c in results[:20]] == ["pending"] * 20  # the work to do comes first
