"""The help centre and product reviews in the browser, as people use them: a shopper
searches the help centre in Chinese and opens an article; a shopper with a delivered
order reviews an item with a photo from the order page and finds the review on the
product page; an operator hides another review with a reason in the admin, and it leaves
the product page."""

import io
import re

import pytest
from PIL import Image

from catalog.models import ProductReview
from catalog.services import product_reviews as reviews
from customers.support.models import FaqArticle
from ops.demo import knowledge as demo_knowledge
from tests.customers.factories import PASSWORD, UserFactory
from tests.e2e.staff import staff_sign_in
from tests.orders.aftersales_helpers import delivered_order
from tests.orders.factories import listed_sku

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


def _log_in(page, live_server, login, target):
    page.goto(live_server.url + target)
    page.wait_for_url(re.compile(r"/login/"))
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit], form.stacked button[type=submit]").first.click()
    page.wait_for_url(re.compile(re.escape(target) + "$"))


def test_a_shopper_finds_an_answer_in_the_help_centre(page, live_server, artifacts_dir):
    demo_knowledge.seed()
    page.goto(f"{live_server.url}/")
    page.click("a.help-link")
    page.wait_for_url(re.compile(r"/help/$"))
    assert page.locator(".help-category").count() == 6
    page.screenshot(path=str(artifacts_dir / "help-index.png"), full_page=True)

    page.fill("#help-q", "无理由退货")
    page.press("#help-q", "Enter")
    page.wait_for_url(re.compile(r"/help/search/\?q="))
    results = page.locator("#results .help-result-title")
    assert results.count() >= 1
    assert "7 天无理由退货" in results.first.inner_text()
    page.screenshot(path=str(artifacts_dir / "help-search.png"), full_page=True)

    results.first.click()
    page.wait_for_url(re.compile(r"/help/article/\d+/$"))
    assert "签收次日起 7 天内" in page.locator("#article-body").inner_text()
    page.click("#helpful-yes")
    page.wait_for_url(re.compile(r"/help/article/\d+/(#helpful)?$"))
    assert page.locator("#vote-thanks").is_visible()
    page.screenshot(path=str(artifacts_dir / "help-article.png"), full_page=True)
    assert FaqArticle.objects.get(title="支持 7 天无理由退货吗？").helpful == 1


def test_a_review_with_a_photo_appears_and_a_hidden_one_goes(
    browser, page, live_server, artifacts_dir, tmp_path, transactional_db
):
    tea = listed_sku(price="45.00", stock=10, name="明前龙井")
    shopper = UserFactory(display_name="林夏")
    operator = UserFactory(roles=["operator"], email="operator@mall.example")
    order = delivered_order(items=[(tea, 1)], user=shopper)
    line = order.lines.get()
    # Another buyer's review, an advertisement the operator will hide.
    other = delivered_order(items=[(tea, 1)])
    spam = reviews.submit_review(
        user=other.user,
        order_line_id=other.lines.get().pk,
        sku=tea,
        rating=5,
        text="加微信 tea8888 低价出同款",
    )
    photo = tmp_path / "tea.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "olivedrab").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    product_url = f"{live_server.url}/product/{tea.product_id}/"

    # The shopper reviews the item from the order page, with a photo.
    _log_in(page, live_server, shopper.phone, f"/orders/{order.number}/")
    page.click(f"#write-review-{line.pk}")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/review/{line.pk}/$"))
    page.check("input[name=rating][value='4']")
    page.fill("#id_text", "茶香清高，回甘明显，包装稍简单。")
    page.set_input_files("#id_photos", str(photo))
    page.screenshot(path=str(artifacts_dir / "review-form.png"), full_page=True)
    page.click("#submit-review")
    page.wait_for_url(re.compile(rf"/orders/{order.number}/$"))
    assert page.locator(f"#write-review-{line.pk}").count() == 0
    mine = ProductReview.objects.get(order_line_id=line.pk)
    assert (mine.rating, mine.photos.count()) == (4, 1)

    page.goto(product_url)
    section = page.locator("#reviews")
    assert "茶香清高" in section.inner_text() and "tea8888" in section.inner_text()
    assert page.locator(f"#review-{mine.pk} .review-photos img").count() == 1
    assert page.locator("#rating-average").inner_text() == "4.5"
    page.screenshot(path=str(artifacts_dir / "review-product-page.png"), full_page=True)

    # An operator hides the advertisement with a reason in the admin.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    admin = context.new_page()
    admin.set_default_timeout(15_000)
    try:
        staff_sign_in(admin, live_server, operator.email, "/admin/catalog/productreview/")
        admin.check(f"input[name=_selected_action][value='{spam.pk}']")
        admin.select_option("select[name=action]", "hide_review")
        admin.locator("button[name=index]").click()
        admin.wait_for_selector("#id_reason")
        admin.fill("#id_reason", "含有联系方式和广告")
        admin.screenshot(path=str(artifacts_dir / "review-hide-reason.png"), full_page=True)
        admin.locator("input[type=submit].default").click()
        admin.wait_for_url(re.compile(r"/admin/catalog/productreview/$"))
        assert admin.locator(".messagelist .success").count() == 1
    finally:
        context.close()
    spam.refresh_from_db()
    assert (spam.status, spam.hidden_reason) == ("hidden", "含有联系方式和广告")

    page.goto(product_url)
    section = page.locator("#reviews")
    assert "茶香清高" in section.inner_text() and "tea8888" not in section.inner_text()
    assert page.locator("#rating-average").inner_text() == "4.0"
    page.screenshot(path=str(artifacts_dir / "review-after-hiding.png"), full_page=True)
