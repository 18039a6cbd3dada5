"""A shopper on a phone searches in Chinese in Chromium: a two-character word (绿茶), words
written together without a space (降噪耳机), pinyin (erji), and sees suggestions as they type."""

import re

import pytest

from catalog.services.search import rebuild_search_terms
from tests.catalog.factories import CategoryFactory, make_listed_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop():
    food = CategoryFactory(name="食品饮料", name_en="Food & drink", slug="food")
    tea = CategoryFactory(name="茶叶", name_en="Tea", slug="tea", parent=food)
    audio = CategoryFactory(name="影音", name_en="Audio", slug="audio")
    goods = {
        name: make_listed_product(name=name, category=category, prices=[price], image=True)
        for name, category, price in (
            ("有机高山绿茶礼盒", tea, "298.00"),
            ("西湖龙井绿茶 明前特级", tea, "88.00"),
            ("云南普洱熟茶饼", tea, "45.00"),
            ("SoundMax 经典降噪蓝牙耳机 Pro", audio, "599.00"),
            ("EchoBeat 运动蓝牙耳机", audio, "199.00"),
            ("便携蓝牙音箱", audio, "159.00"),
        )
    }
    rebuild_search_terms()  # the vocabulary pinyin and suggestions come from (hourly in production)
    return goods


def search_from_header(page, query):
    page.fill("#site-search", query)
    page.press("#site-search", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    return sorted(page.locator(".product-name").all_inner_texts())


def test_a_shopper_on_a_phone_finds_goods_by_chinese_words_and_pinyin(
    browser, live_server, artifacts_dir, shop
):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/")

        # Two characters: a whole word of two titles, not of the 普洱 tea.
        assert search_from_header(page, "绿茶") == ["有机高山绿茶礼盒", "西湖龙井绿茶 明前特级"]
        assert page.locator(".result-count").inner_text().startswith("找到 2 件")
        page.screenshot(path=str(artifacts_dir / "search-phone-2-chars.png"), full_page=True)

        # Two words typed together, with a third word between them in the title.
        assert search_from_header(page, "降噪耳机") == ["SoundMax 经典降噪蓝牙耳机 Pro"]

        # Pinyin of 耳机, in Latin letters.
        assert search_from_header(page, "erji") == [
            "EchoBeat 运动蓝牙耳机",
            "SoundMax 经典降噪蓝牙耳机 Pro",
        ]
        page.screenshot(path=str(artifacts_dir / "search-phone-pinyin.png"), full_page=True)

        # Suggestions as the shopper types the beginning of a word (the box's datalist).
        page.fill("#site-search", "")
        page.locator("#site-search").press_sequentially("蓝", delay=50)
        options = page.locator("#search-suggestions option")
        options.first.wait_for(state="attached")
        assert "蓝牙" in [o.get_attribute("value") for o in options.all()]

        # A result opens its product page.
        search_from_header(page, "绿茶")
        page.click(".product-card .product-link >> nth=0")
        page.wait_for_url(re.compile(r"/product/\d+/$"))
        assert "绿茶" in page.locator("h1.product-title").inner_text()
    finally:
        context.close()
