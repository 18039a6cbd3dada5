"""The back office as two operators use it, in Chinese: the first makes goods with two SKUs
entirely through the fields of the category's schema and the variant generator, and
submits them from their page; the second sees them on the home page's queue and approves
them from their page. The first is never offered the approval."""

import io
import re

import pytest
from PIL import Image

from catalog.models import Product
from tests.catalog.conftest import make_supplier
from tests.catalog.factories import tea_categories
from tests.customers.factories import UserFactory
from tests.e2e.staff import staff_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (30, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_operator_makes_goods_through_fields_and_a_second_one_approves_them(
    browser, live_server, artifacts_dir
):
    tea = tea_categories()
    supplier = make_supplier(categories=[tea.parent or tea])
    first = UserFactory(roles=["operator"], email="first@mall.example")
    second = UserFactory(roles=["operator"], email="second@mall.example")
    add = f"/admin/catalog/product/add/?category={tea.pk}"

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    staff_sign_in(page, live_server, first.email, add)
    page.goto(live_server.url + add)
    # Fields from the schema, labelled in Chinese; no JSON box.
    assert page.locator("#id_info").count() == 0
    # The supplier box is an autocomplete (select2): choose the option as it would.
    page.evaluate(
        "([id, name]) => document.querySelector('#id_supplier')"
        ".add(new Option(name, id, true, true))",
        [supplier.pk, supplier.name],
    )
    page.fill("#id_name", "明前龙井 特级")
    page.fill("#id_description", "明前采摘，手工炒制。")
    page.fill("#id_after_sales_terms", "未拆封 7 天无理由退货。")
    for field in page.locator("input[id^=id_info__]").all():
        field.fill("见包装")
    for field in page.locator("input[id^=id_attr__]").all():
        field.fill("狮峰")
    for select in page.locator("select[id^=id_attr__]").all():
        select.select_option(index=1)
    page.fill("#id_variants", "净含量：100g，250g")
    page.fill("#id_variant_weight", "260")
    page.locator("#images-group .add-row a").click()
    page.set_input_files(
        "#id_images-0-image",
        files=[{"name": "tea.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}],
    )
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/admin/catalog/product/\d+/change/"))
    product = Product.objects.get(name="明前龙井 特级")
    assert [s.spec for s in product.skus.order_by("position")] == [
        {"净含量": "100g"},
        {"净含量": "250g"},
    ]
    assert "净含量" in page.locator("#skus-group thead").inner_text()
    page.screenshot(path=artifacts_dir / "backoffice-goods-from-fields.png", full_page=True)

    page.locator("button.decision-submit").click()
    page.wait_for_load_state()
    assert page.locator(".decision-approve").count() == 0  # four eyes
    product.refresh_from_db()
    assert product.status == Product.Status.SUBMITTED
    context.close()

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    other = context.new_page()
    other.set_default_timeout(20_000)
    staff_sign_in(other, live_server, second.email, "/admin/")
    queue = other.locator("#pending-queues tr", has_text="待我审核的商品")
    assert queue.locator(".queue-count").inner_text() == "1"
    other.screenshot(path=artifacts_dir / "backoffice-home.png", full_page=True)
    queue.locator("a").click()
    other.locator("#result_list a", has_text="明前龙井 特级").click()
    other.locator("button.decision-approve").click()
    other.wait_for_load_state()
    assert "已通过 1 件商品" in other.locator("ul.messagelist").inner_text()
    other.screenshot(path=artifacts_dir / "backoffice-approved.png", full_page=True)
    context.close()
    product.refresh_from_db()
    assert product.status == Product.Status.APPROVED
