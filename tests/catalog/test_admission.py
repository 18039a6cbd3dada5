"""Goods admission: every refusal and every transition of suppliers and goods."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from catalog.exceptions import (
    FourEyesRequired,
    ReasonRequired,
    SubmissionRefused,
    SupplierNotQualified,
)
from catalog.models import (
    Product,
    ProductStatusChange,
    ProhibitedWord,
    SpotCheck,
    Supplier,
    SupplierStatusChange,
)
from catalog.services import admission, listing
from mall.statemachine import IllegalTransition
from tests.catalog.conftest import add_document, admit_and_list, make_ready_product, make_supplier

pytestmark = pytest.mark.django_db


def _problems(product):
    with pytest.raises(SubmissionRefused) as refused:
        admission.submit_product(product=product, actor=None)
    return refused.value.problems


# --- Four eyes ------------------------------------------------------------------------------


def test_whoever_submitted_goods_may_not_approve_or_reject_them(ready_product, operator, reviewer):
    admission.submit_product(product=ready_product, actor=operator)
    with pytest.raises(FourEyesRequired) as refused:
        admission.approve_product(product=ready_product, actor=operator)
    assert ready_product.name in str(refused.value)
    with pytest.raises(FourEyesRequired):
        admission.reject_product(product=ready_product, actor=operator, reason="自己驳回")
    ready_product.refresh_from_db()
    assert ready_product.status == Product.Status.SUBMITTED

    admission.approve_product(product=ready_product, actor=reviewer)
    ready_product.refresh_from_db()
    assert ready_product.status == Product.Status.APPROVED


def test_whoever_started_a_suppliers_review_may_not_approve_it(food, operator, reviewer):
    supplier = make_supplier(categories=[food.parent], approved=False)
    admission.start_supplier_review(supplier=supplier, actor=operator)
    with pytest.raises(FourEyesRequired):
        admission.approve_supplier(supplier=supplier, actor=operator)
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.UNDER_REVIEW
    admission.approve_supplier(supplier=supplier, actor=reviewer)
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED


# --- Submission refusals -----------------------------------------------------------------


def test_a_complete_product_is_submitted_approved_and_listed(ready_product, operator, reviewer):
    admit_and_list(ready_product, operator, reviewer)
    ready_product.refresh_from_db()
    assert ready_product.status == Product.Status.LISTED
    assert ready_product.listed_at is not None
    steps = list(
        ProductStatusChange.objects.filter(subject=ready_product).values_list(
            "from_state", "to_state", "actor"
        )
    )
    assert steps == [
        ("draft", "submitted", operator.pk),
        ("submitted", "approved", reviewer.pk),
        ("approved", "listed", operator.pk),
    ]


def test_missing_information_attributes_and_texts_are_all_listed(supplier, food, operator):
    product = make_ready_product(
        supplier,
        food,
        operator,
        info={"ingredients": "绿茶"},
        attributes={"grade": "三级"},
        description="",
        after_sales_terms="",
    )
    problems = _problems(product)
    assert "the product information “Shelf life” is missing" in problems
    assert "the product information “Storage” is missing" in problems  # inherited + own
    assert "the attribute “品牌” is missing" in problems  # required on the parent category
    assert "“三级” is not one of the choices for “等级”" in problems
    assert "the description is missing" in problems
    assert "the after-sales terms are missing" in problems
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT
    assert not ProductStatusChange.objects.filter(subject=product).exists()


def test_goods_without_images_or_skus_are_refused(supplier, food, operator):
    product = listing.create_product(
        supplier=supplier,
        category=food,
        actor=operator,
        name="白茶",
        description="d",
        after_sales_terms="t",
        info={"ingredients": "x", "shelf_life": "y", "storage": "z"},
        attributes={"brand": "b"},
    )
    problems = _problems(product)
    assert "at least one image is required" in problems
    assert "at least one SKU on sale is required" in problems


def test_prohibited_words_are_found_anywhere_in_the_text(ready_product, operator):
    ProhibitedWord.objects.create(word="高仿", reason="counterfeit")
    ProhibitedWord.objects.create(word="Replica", reason="counterfeit")
    listing.update_product(
        product=ready_product, actor=operator, description="正品，非高仿。", subtitle="no replica"
    )
    problems = _problems(ready_product)
    assert "the text contains prohibited words: Replica, 高仿" in problems


def test_a_supplier_not_approved_for_the_category_is_refused(food, operator):
    other = make_supplier(categories=[])  # approved, but for no category
    product = make_ready_product(other, food, operator)
    assert "the supplier is not admitted for the category “茶叶”" in _problems(product)


def test_a_supplier_without_a_valid_required_document_is_refused(food, operator):
    supplier = make_supplier(categories=[food.parent])
    supplier.documents.filter(doc_type="food_permit").update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1),
        valid_from=timezone.localdate() - datetime.timedelta(days=400),
    )
    product = make_ready_product(supplier, food, operator)
    assert "the supplier has no valid Food business permit" in _problems(product)


def test_a_suspended_suppliers_goods_cannot_be_submitted(supplier, food, operator):
    product = make_ready_product(supplier, food, operator)
    admission.suspend_supplier(supplier=supplier, actor=operator, reason="audit")
    assert any("is not approved" in problem for problem in _problems(product))


def test_approval_rechecks_the_rules(ready_product, operator, reviewer):
    admission.submit_product(product=ready_product, actor=operator)
    ProhibitedWord.objects.create(word="龙井")
    with pytest.raises(SubmissionRefused):
        admission.approve_product(product=ready_product, actor=reviewer)
    ready_product.refresh_from_db()
    assert ready_product.status == Product.Status.SUBMITTED


def test_rejection_needs_a_reason_and_allows_resubmission(ready_product, operator, reviewer):
    admission.submit_product(product=ready_product, actor=operator)
    with pytest.raises(ReasonRequired):
        admission.reject_product(product=ready_product, actor=reviewer, reason=" ")
    admission.reject_product(product=ready_product, actor=reviewer, reason="图片不清晰")
    assert ProductStatusChange.objects.get(subject=ready_product, to_state="rejected").reason == (
        "图片不清晰"
    )
    admission.submit_product(product=ready_product, actor=operator)
    ready_product.refresh_from_db()
    assert ready_product.status == Product.Status.SUBMITTED


@pytest.mark.parametrize("name", ["approve", "list", "delist"])
def test_steps_out_of_order_are_illegal(ready_product, operator, name):
    service = {
        "approve": admission.approve_product,
        "list": admission.list_product,
        "delist": lambda **kw: admission.delist_product(reason="x", **kw),
    }[name]
    with pytest.raises(IllegalTransition):
        service(product=ready_product, actor=operator)


def test_listing_needs_a_price_for_every_sku_on_sale(ready_product, operator, reviewer):
    listing.add_sku(product=ready_product, code="LJ-NOPRICE", weight_grams=100)
    admission.submit_product(product=ready_product, actor=operator)
    admission.approve_product(product=ready_product, actor=reviewer)
    with pytest.raises(SubmissionRefused) as refused:
        admission.list_product(product=ready_product, actor=operator)
    assert refused.value.problems == ["the SKU LJ-NOPRICE has no price"]


def _listed(supplier, food, operator, **overrides):
    product = make_ready_product(supplier, food, operator, **overrides)
    admit_and_list(product, operator)
    return product


def test_delisting_needs_a_reason_and_relisting_rechecks(supplier, food, operator):
    product = _listed(supplier, food, operator)
    with pytest.raises(ReasonRequired):
        admission.delist_product(product=product, actor=operator, reason="")
    admission.delist_product(product=product, actor=operator, reason="包装升级")
    supplier.documents.filter(doc_type="food_permit").delete()
    with pytest.raises(SubmissionRefused):
        admission.list_product(product=product, actor=operator)


# --- Suppliers -----------------------------------------------------------------------------


def test_supplier_approval_needs_a_business_licence_and_category_documents(food):
    supplier = make_supplier(
        categories=[food.parent], approved=False, documents=["business_licence"]
    )
    admission.start_supplier_review(supplier=supplier, actor=None)
    with pytest.raises(SupplierNotQualified) as refused:
        admission.approve_supplier(supplier=supplier, actor=None)
    assert refused.value.problems == ["no valid Food business permit"]
    add_document(supplier, "food_permit")
    admission.approve_supplier(supplier=supplier, actor=None)
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED
    assert supplier.next_review_due > timezone.localdate() + datetime.timedelta(days=300)


def test_suspending_a_supplier_delists_all_its_goods(supplier, food, operator):
    first, second = _listed(supplier, food, operator), _listed(supplier, food, operator)
    draft = make_ready_product(supplier, food, operator)
    assert admission.suspend_supplier(supplier=supplier, actor=operator, reason="投诉核查") == 2
    statuses = dict(Product.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == "delisted"
    assert statuses[draft.pk] == "draft"
    reason = ProductStatusChange.objects.get(subject=first, to_state="delisted").reason
    assert "投诉核查" in reason


def test_reinstating_needs_valid_documents_and_leaves_goods_delisted(supplier, food, operator):
    product = _listed(supplier, food, operator)
    admission.suspend_supplier(supplier=supplier, actor=operator, reason="licence check")
    supplier.documents.filter(doc_type="business_licence").delete()
    with pytest.raises(SupplierNotQualified):
        admission.reinstate_supplier(supplier=supplier, actor=operator, reason="ok")
    add_document(supplier, "business_licence")
    admission.reinstate_supplier(supplier=supplier, actor=operator, reason="renewed")
    product.refresh_from_db()
    assert product.status == Product.Status.DELISTED


def test_terminated_suppliers_never_come_back(supplier, operator):
    admission.terminate_supplier(supplier=supplier, actor=operator, reason="fraud")
    for service in (admission.reinstate_supplier, admission.suspend_supplier):
        with pytest.raises(IllegalTransition):
            service(supplier=supplier, actor=operator, reason="x")


def test_only_approved_suppliers_are_re_reviewed(food, operator):
    from catalog.exceptions import CatalogError

    applied = make_supplier(categories=[food.parent], approved=False)
    with pytest.raises(CatalogError):
        admission.record_re_review(supplier=applied, actor=operator, passed=True, notes="ok")
    assert not SupplierStatusChange.objects.filter(subject=applied).exists()


def test_failed_re_review_suspends_passed_moves_the_date(supplier, operator):
    supplier.next_review_due = timezone.localdate()
    supplier.save()
    admission.record_re_review(supplier=supplier, actor=operator, passed=True, notes="现场核查通过")
    supplier.refresh_from_db()
    assert supplier.next_review_due > timezone.localdate()
    assert SupplierStatusChange.objects.filter(subject=supplier, transition="re_review").exists()
    admission.record_re_review(supplier=supplier, actor=operator, passed=False, notes="资质不符")
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED


# --- Expiring documents -------------------------------------------------------------------------


def test_documents_expiring_soon_are_warned_about_once(supplier, operator):
    today = timezone.localdate()
    supplier.documents.filter(doc_type="food_permit").update(
        valid_to=today + datetime.timedelta(days=10)
    )
    assert admission.warn_expiring_documents(today=today) == 1
    assert admission.warn_expiring_documents(today=today) == 0
    assert len(mail.outbox) == 1
    assert operator.email in mail.outbox[0].to
    assert supplier.name in mail.outbox[0].subject


def test_an_expired_document_suspends_the_supplier_and_delists(supplier, food, operator):
    product = _listed(supplier, food, operator)
    today = timezone.localdate()
    supplier.documents.filter(doc_type="food_permit").update(
        valid_to=today - datetime.timedelta(days=1)
    )
    assert admission.suspend_suppliers_with_expired_documents(today=today) == 1
    assert admission.suspend_suppliers_with_expired_documents(today=today) == 0
    supplier.refresh_from_db()
    product.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert product.status == Product.Status.DELISTED
    change = SupplierStatusChange.objects.get(subject=supplier, to_state="suspended")
    assert change.actor is None and "Food business permit" in change.reason


def test_a_renewed_document_prevents_suspension(supplier, operator):
    today = timezone.localdate()
    supplier.documents.filter(doc_type="food_permit").update(
        valid_to=today - datetime.timedelta(days=1)
    )
    add_document(supplier, "food_permit", valid_from=today - datetime.timedelta(days=2))
    assert admission.suspend_suppliers_with_expired_documents(today=today) == 0
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.APPROVED


# --- Spot checks ---------------------------------------------------------------------------


def test_monthly_sampling_takes_a_share_at_least_one_and_only_once(supplier, food, operator):
    products = [_listed(supplier, food, operator) for _ in range(3)]
    month = timezone.localdate().replace(day=1)
    assert admission.sample_spot_checks(period=month, share=0.1) == 1
    assert admission.sample_spot_checks(period=month, share=0.1) == 0
    assert admission.sample_spot_checks(period=month, share=0.5) == 1  # tops up to 2
    sampled = set(SpotCheck.objects.filter(kind="sample").values_list("product_id", flat=True))
    assert sampled <= {p.pk for p in products} and len(sampled) == 2


def test_sampling_share_is_exact_decimal_arithmetic(supplier, food, operator):
    from catalog.models import Product

    product = _listed(supplier, food, operator)
    # 30 listed goods: clone the listed product's row (sampling counts rows only).
    for _ in range(29):
        product.pk = None
        product.save()
    assert Product.objects.filter(status="listed", supplier=supplier).count() == 30
    month = timezone.localdate().replace(day=1)
    assert admission.sample_spot_checks(period=month, share=0.1) == 3


def test_a_failed_spot_check_delists_and_strikes(supplier, food, operator, settings):
    settings.MALL_SPOT_CHECK_STRIKE_LIMIT = 2
    first, second, third = (_listed(supplier, food, operator) for _ in range(3))
    month = timezone.localdate().replace(day=1)
    check = SpotCheck.objects.create(product=first, supplier=supplier, period=month)
    with pytest.raises(ReasonRequired):
        admission.record_spot_check(check=check, actor=operator, passed=False, findings="")
    admission.record_spot_check(check=check, actor=operator, passed=False, findings="标签不符")
    first.refresh_from_db()
    supplier.refresh_from_db()
    assert first.status == Product.Status.DELISTED
    assert supplier.status == Supplier.Status.APPROVED  # one strike of two

    previous = month - datetime.timedelta(days=1)
    check2 = SpotCheck.objects.create(product=second, supplier=supplier, period=previous)
    admission.record_spot_check(check=check2, actor=operator, passed=False, findings="农残超标")
    supplier.refresh_from_db()
    third.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert third.status == Product.Status.DELISTED


def test_a_passed_spot_check_changes_nothing_else(supplier, food, operator):
    product = _listed(supplier, food, operator)
    check = SpotCheck.objects.create(
        product=product, supplier=supplier, period=timezone.localdate().replace(day=1)
    )
    admission.record_spot_check(check=check, actor=operator, passed=True, findings="")
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED
    assert not supplier.strikes.exists()


def test_qualification_scans_only_reach_staff_who_may_view_documents(client, supplier):
    from catalog.views.documents import scan_url
    from tests.customers.factories import UserFactory

    document = supplier.documents.first()
    url = scan_url(document)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())  # a shopper
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(roles=["support_agent"]))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
