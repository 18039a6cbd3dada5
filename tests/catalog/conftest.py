"""Catalog fixtures built through the services, so tests exercise the real rules."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from catalog.models import Category, CategoryAttribute, QualificationDocument, Supplier
from catalog.services import admission, listing, pricing
from mall.validators import credit_code_check_char
from tests.catalog.factories import jpeg_upload
from tests.customers.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


@pytest.fixture
def reviewer(db):
    """A second operator: four eyes, the one who submitted goods may not approve them."""
    return UserFactory(roles=["operator"])


def admit_and_list(product, operator, reviewer=None):
    """Submit ``product`` as ``operator``, have a second person approve it (``reviewer``,
    or a superuser: not an operator, so no operator's mail changes), list it."""
    admission.submit_product(product=product, actor=operator)
    reviewer = reviewer or UserFactory(is_staff=True, is_superuser=True)
    admission.approve_product(product=product, actor=reviewer)
    return admission.list_product(product=product, actor=operator)


@pytest.fixture
def food(db):
    root = Category.objects.create(
        name="食品饮料",
        slug="food",
        required_documents=["food_permit"],
        required_info=["ingredients", "shelf_life"],
    )
    tea = Category.objects.create(name="茶叶", slug="tea", parent=root, required_info=["storage"])
    CategoryAttribute.objects.create(
        category=root, code="brand", name="品牌", kind="text", required=True
    )
    CategoryAttribute.objects.create(
        category=tea, code="grade", name="等级", kind="choice", choices=["特级", "一级"]
    )
    return tea


def add_document(supplier, doc_type, *, valid_to=None, valid_from=None):
    today = timezone.localdate()
    document = QualificationDocument(
        supplier=supplier,
        doc_type=doc_type,
        number=f"{doc_type}-001",
        issuer="市场监督管理局",
        valid_from=valid_from or today - datetime.timedelta(days=365),
        valid_to=valid_to or today + datetime.timedelta(days=365),
    )
    document.scan.save("scan.pdf", ContentFile(PDF), save=False)
    document.save()
    return document


_SEQUENCE = iter(range(1, 1_000_000))


def make_supplier(*, categories=(), approved=True, documents=("business_licence", "food_permit")):
    n = next(_SEQUENCE)
    first17 = f"91330100MA{n:07d}"
    supplier = Supplier.objects.create(
        name=f"杭州茶业{n}有限公司",
        credit_code=first17 + credit_code_check_char(first17),
        contact_name="王经理",
        contact_phone="13800001111",
    )
    supplier.categories.set(categories)
    for doc_type in documents:
        add_document(supplier, doc_type)
    if approved:
        admission.start_supplier_review(supplier=supplier, actor=None)
        admission.approve_supplier(supplier=supplier, actor=None)
    return supplier


@pytest.fixture
def supplier(food):
    return make_supplier(categories=[food.parent])


def make_ready_product(supplier, category, actor, **overrides):
    """A draft with everything review needs; a test then removes what it examines."""
    fields = {
        "name": "西湖龙井 明前特级",
        "description": "明前采摘，手工炒制。",
        "after_sales_terms": "未拆封 7 天无理由退货。",
        "info": {"ingredients": "绿茶", "shelf_life": "18 个月", "storage": "密封、避光"},
        "attributes": {"brand": "狮峰", "grade": "特级"},
    }
    fields.update(overrides)
    product = listing.create_product(supplier=supplier, category=category, actor=actor, **fields)
    sku = listing.add_sku(product=product, code=f"LJ-{product.pk}-250", weight_grams=250)
    listing.add_product_image(product=product, upload=jpeg_upload())
    pricing.set_price(sku=sku, amount="298.00", actor=actor, reason="初始定价")
    return product


@pytest.fixture
def ready_product(supplier, food, operator):
    return make_ready_product(supplier, food, operator)
