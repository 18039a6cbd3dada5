"""A shopper browses in Chromium: home → category → price filter → product → another SKU,
then finds the product by searching in Chinese from the header."""

import re

import pytest

from catalog.models import CategoryAttribute
from tests.catalog.factories import (
    CategoryAttributeFactory,
    CategoryFactory,
    ProductImageFactory,
    make_listed_product,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    food = CategoryFactory(name="食品饮料", name_en="Food & drink", slug="food")
    tea = CategoryFactory(name="茶叶", name_en="Tea", slug="tea", parent=food)
    CategoryFactory(name="家用电器", name_en="Appliances", slug="appliances")
    CategoryAttributeFactory(
        category=tea,
        code="grade",
        name="等级",
        kind=CategoryAttribute.Kind.CHOICE,
        choices=["特级", "一级"],
        filterable=True,
    )
    gift = make_listed_product(
        name="有机高山绿茶礼盒",
        subtitle="高山云雾 明前头采",
        category=tea,
        prices=["298.00", "1299.00"],
        stock=[40, 2],
        specs=[{"规格": "250g 礼盒"}, {"规格": "1kg 珍藏"}],
        attributes={"grade": "特级"},
        info={"shelf_life": "18 个月", "storage": "密封、避光"},
        featured=True,
        image=True,
    )
    ProductImageFactory(product=gift, color="khaki", alt="茶汤")
    make_listed_product(name="云南普洱熟茶饼", category=tea, prices=["45.00"], image=True)
    make_listed_product(name="安吉白茶", category=tea, prices=["88.00"], stock=0, image=True)
    return gift


def test_shopper_browses_filters_switches_sku_and_searches_in_chinese(
    page, live_server, artifacts_dir, shop
):
    page.goto(live_server.url + "/")
    assert page.locator("#featured .product-name").all_inner_texts() == ["有机高山绿茶礼盒"]
    page.screenshot(path=str(artifacts_dir / "browse-home.png"), full_page=True)

    # A category from the home page's category list (a subcategory of 食品饮料).
    page.click('.category-grid a[href="/category/tea/"]')
    page.wait_for_url(re.compile(r"/category/tea/$"))
    assert page.locator(".product-card").count() == 3

    # Only goods from ¥100 up.
    page.fill('.filters input[name="price_min"]', "100")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r"price_min=100"))
    assert page.locator(".product-name").all_inner_texts() == ["有机高山绿茶礼盒"]
    page.screenshot(path=str(artifacts_dir / "browse-category-filtered.png"), full_page=True)

    # The product page: the first SKU's price, then the other SKU's.
    page.click(".product-card .product-link")
    page.wait_for_url(re.compile(rf"/product/{shop.pk}/$"))
    assert page.locator("h1.product-title").inner_text() == "有机高山绿茶礼盒"
    assert page.locator("#price").inner_text() == "¥298.00"
    assert page.locator(".gallery-main img").evaluate("img => img.naturalWidth") > 0
    page.click(".sku-option >> text=1kg 珍藏")
    page.wait_for_url(re.compile(r"\?sku=\d+"))
    assert page.locator("#price").inner_text() == "¥1,299.00"
    assert page.locator("#stock-state").get_attribute("class") == "stock-state low_stock"
    assert page.locator(".sku-option.selected").inner_text() == "1kg 珍藏"
    page.screenshot(path=str(artifacts_dir / "browse-product-sku.png"), full_page=True)

    # Search in Chinese from the header: a substring in the middle of the name.
    page.fill("#site-search", "高山绿茶")
    page.press("#site-search", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    assert page.locator(".product-name").all_inner_texts() == ["有机高山绿茶礼盒"]
    assert page.locator("#site-search").input_value() == "高山绿茶"
    page.screenshot(path=str(artifacts_dir / "browse-search.png"), full_page=True)
    page.click(".product-card .product-link")
    page.wait_for_url(re.compile(rf"/product/{shop.pk}/$"))
