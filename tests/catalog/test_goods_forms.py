"""The product page without JSON: information, attributes and SKU specifications as fields
made from the category's schema, the variant generator, and the review decisions as
buttons on the page with four eyes."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from catalog.models import SKU, Product, ProductStatusChange
from catalog.services import admission, listing
from tests.catalog.conftest import make_ready_product
from tests.catalog.factories import jpeg_upload
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _add(client, category, supplier, **fields):
    data = {
        "supplier": supplier.pk,
        "category": category.pk,
        "name": "西湖龙井 明前",
        "description": "明前采摘。",
        "after_sales_terms": "7 天无理由退货。",
        "no_reason_return": "on",
        "skus-TOTAL_FORMS": "0",
        "skus-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        **fields,
    }
    return client.post(reverse("admin:catalog_product_add") + f"?category={category.pk}", data)


def test_the_add_page_shows_the_categorys_schema_as_labelled_typed_fields(operator_client, food):
    page = operator_client.get(
        reverse("admin:catalog_product_add") + f"?category={food.pk}",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    form = page.context["adminform"].form
    assert form.fields["info__storage"].required  # the tea category's own requirement
    assert form.fields["info__ingredients"].required  # inherited from food
    assert form.fields["attr__brand"].label == "品牌"
    assert form.fields["attr__brand"].required
    assert [c for c, _ in form.fields["attr__grade"].choices] == ["", "特级", "一级"]
    html = page.content.decode()
    assert 'name="attr__grade"' in html and 'name="info"' not in html
    assert "贮存条件" in html or "储存" in html or "Storage" not in html


def test_a_product_made_through_the_fields_gets_its_json_and_variant_skus(
    operator_client, food, supplier
):
    response = _add(
        operator_client,
        food,
        supplier,
        info__ingredients="绿茶",
        info__shelf_life="18 个月",
        info__storage="密封避光",
        attr__brand="狮峰",
        attr__grade="特级",
        variants="净含量：100g，250g\n包装：罐装",
        variant_weight="260",
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(name="西湖龙井 明前")
    assert product.info == {"ingredients": "绿茶", "shelf_life": "18 个月", "storage": "密封避光"}
    assert product.attributes == {"brand": "狮峰", "grade": "特级"}
    specs = list(product.skus.order_by("position").values_list("spec", "weight_grams"))
    assert specs == [
        ({"净含量": "100g", "包装": "罐装"}, 260),
        ({"净含量": "250g", "包装": "罐装"}, 260),
    ]

    # Generating the same axes again adds nothing; a new value adds only its SKUs.
    listing.generate_variants(
        product=product, axes={"净含量": ["100g", "250g", "500g"], "包装": ["罐装"]}, weight_grams=1
    )
    assert product.skus.count() == 3

    # The SKUs' page shows one field per axis, labelled by the axis.
    page = operator_client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    html = page.content.decode()
    assert "净含量" in html and 'name="skus-0-spec__0"' in html


def test_a_choice_outside_the_schema_and_missing_required_fields_are_form_errors(
    operator_client, food, supplier
):
    response = _add(operator_client, food, supplier, attr__grade="三级", attr__brand="")
    errors = response.context["adminform"].form.errors
    assert "attr__grade" in errors and "attr__brand" in errors and "info__storage" in errors
    assert not Product.objects.exists()


def test_the_submitter_sees_no_approve_button_and_a_second_operator_approves_from_the_page(
    operator_client, operator, reviewer, food, supplier
):
    product = make_ready_product(supplier, food, operator)
    listing.add_product_image(product=product, upload=jpeg_upload())
    admission.submit_product(product=product, actor=operator)
    page_url = reverse("admin:catalog_product_change", args=[product.pk])
    decide = reverse("admin:catalog_product_decide", args=[product.pk, "approve"])

    mine = operator_client.get(page_url)
    assert [d["name"] for d in mine.context["decisions"]] == []  # four eyes: no buttons
    own = operator_client.post(decide)
    assert own.status_code == 302 and own.url == page_url
    [refusal] = get_messages(own.wsgi_request)
    assert refusal.level_tag == "warning"
    assert str(refusal) == (
        f"Could not approve “{product}”: Another operator must review “{product}”: "
        "you submitted it."
    )
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED

    second = _client(reviewer)
    page = second.get(page_url)
    assert [d["name"] for d in page.context["decisions"]] == ["approve", "reject"]
    approved = second.post(decide)
    assert approved.status_code == 302 and approved.url == page_url
    product.refresh_from_db()
    assert product.status == Product.Status.APPROVED
    assert ProductStatusChange.objects.get(subject=product, transition="approve").actor == reviewer


def test_rejecting_from_the_page_asks_for_the_reason_first(operator, reviewer, food, supplier):
    product = make_ready_product(supplier, food, operator)
    admission.submit_product(product=product, actor=operator)
    decide = reverse("admin:catalog_product_decide", args=[product.pk, "reject"])
    second = _client(reviewer)

    asked = second.post(decide)
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    done = second.post(
        decide,
        {"action": "reject", "_selected_action": [product.pk], "apply": "1", "reason": "图片模糊"},
    )
    assert done.status_code == 302
    product.refresh_from_db()
    assert product.status == Product.Status.REJECTED


def test_the_review_queue_leaves_out_what_i_submitted(
    operator_client, operator, reviewer, food, supplier
):
    mine = make_ready_product(supplier, food, operator)
    theirs = make_ready_product(supplier, food, reviewer, name="碧螺春")
    admission.submit_product(product=mine, actor=operator)
    admission.submit_product(product=theirs, actor=reviewer)
    page = operator_client.get(reverse("admin:catalog_product_changelist") + "?approval=mine")
    assert [p.pk for p in page.context["cl"].result_list] == [theirs.pk]


def test_skus_keep_unique_codes_when_generated(operator, food, supplier):
    product = make_ready_product(supplier, food, operator)
    before = SKU.objects.count()
    created = listing.generate_variants(
        product=product, axes={"颜色": ["黑", "白"]}, weight_grams=100, code_prefix="lj"
    )
    assert [s.code for s in created] == ["LJ-2", "LJ-3"]
    assert SKU.objects.count() == before + 2


def test_a_warehouse_clerk_reads_the_goods_page_without_the_editing_fields(
    client, operator, food, supplier
):
    product = make_ready_product(supplier, food, operator)
    client.force_login(UserFactory(roles=["warehouse"]))
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "狮峰" in html  # the stored attributes, read-only
    assert 'name="variants"' not in html and 'name="attr__brand"' not in html
