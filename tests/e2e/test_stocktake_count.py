"""A warehouse clerk counts on a phone: logs in, finds lines by scanning (typing) a
barcode or by going down the list, saves each count, submits; the database holds the
counts. The page must fit a phone's width and never show the book quantity."""

import re

import pytest

from catalog.models import Stocktake
from catalog.services import stocktake as stocktakes
from tests.catalog.factories import SKUFactory, StockFactory, WarehouseFactory
from tests.customers.factories import UserFactory
from tests.e2e.staff import staff_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def count(transactional_db):
    warehouse = WarehouseFactory(code="hz", name="杭州一号仓")
    skus = [
        SKUFactory(code="LJ-250", barcode="6901234567892", spec={"规格": "250g 礼盒"}),
        SKUFactory(code="PE-357", barcode="6909876543217", spec={"规格": "357g 茶饼"}),
        SKUFactory(code="BC-100", barcode="", spec={}),
    ]
    for sku, on_hand in zip(skus, (41, 17, 9), strict=True):
        StockFactory(sku=sku, warehouse=warehouse, on_hand=on_hand)
    operator = UserFactory(roles=["operator"])
    return stocktakes.open_stocktake(warehouse=warehouse, scope="all", actor=operator)


def test_a_clerk_counts_on_a_phone_and_submits(phone, live_server, artifacts_dir, count):
    clerk = UserFactory(roles=["warehouse"])
    page = phone

    # The whole URL: the login page's own ?next=/warehouse/stocktakes/ must not match.
    staff_sign_in(page, live_server, clerk.phone, "/warehouse/stocktakes/", exact=True)
    assert "杭州一号仓" in page.locator("a.card.stocktake").inner_text()

    page.click("a.card.stocktake")
    page.wait_for_url(live_server.url + f"/warehouse/stocktakes/{count.pk}/")
    assert page.locator(".line").count() == 3
    # Blind count: none of the book quantities (41, 17, 9) is on the page.
    body = page.locator("main").inner_text()
    assert not re.search(r"\b(41|17|9)\b", body)
    # Made for the phone: nothing wider than the screen, a numeric keypad for counts.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("input[name=counted]").first.get_attribute("inputmode") == "numeric"

    # A scanner types the barcode into the find box and presses Enter.
    page.fill("#find", "6909876543217")
    page.press("#find", "Enter")
    page.wait_for_url(re.compile(r"\?find=6909876543217"))
    assert page.locator(".line .code").all_inner_texts() == ["PE-357"]
    page.fill("input[name=counted]", "16")
    page.click(".count-form button[type=submit]")
    page.wait_for_url(live_server.url + f"/warehouse/stocktakes/{count.pk}/")
    assert page.locator(".message.success").is_visible()
    # The counted line went to the bottom; the uncounted ones come first.
    assert page.locator(".line .code").all_inner_texts()[-1] == "PE-357"
    page.screenshot(path=str(artifacts_dir / "stocktake-phone-counting.png"), full_page=True)

    # Then down the list: the first uncounted line each time, in SKU-code order.
    for code, quantity in (("BC-100", "10"), ("LJ-250", "41")):
        line = page.locator(".line:not(.counted)").first
        assert line.locator(".code").inner_text() == code
        line.locator("input[name=counted]").fill(quantity)
        line.locator("button[type=submit]").click()
        page.wait_for_load_state()
        page.locator(".message.success").wait_for()
    assert page.locator(".line:not(.counted)").count() == 0

    page.click(".submit-count button[type=submit]")
    page.wait_for_url(live_server.url + "/warehouse/stocktakes/")
    assert page.locator(".message.success").is_visible()
    page.screenshot(path=str(artifacts_dir / "stocktake-phone-submitted.png"), full_page=True)

    count.refresh_from_db()
    assert count.status == Stocktake.Status.SUBMITTED
    saved = {
        line.stock.sku.code: (line.counted, line.counted_by_id, line.expected)
        for line in count.lines.select_related("stock__sku")
    }
    assert saved == {
        "PE-357": (16, clerk.pk, 17),
        "LJ-250": (41, clerk.pk, 41),
        "BC-100": (10, clerk.pk, 9),
    }
