"""The shopper's goods pages: home, category listings, search and the product page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from catalog import selectors
from catalog.models import Product, Stock
from catalog.services.pricing import set_price
from catalog.services.search import rebuild_search_terms
from tests.catalog.factories import (
    NOT_LISTED,
    CategoryAttributeFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    SKUFactory,
    SkuPriceFactory,
    StockFactory,
    make_listed_product,
    tea_categories,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea():
    """食品饮料 > 茶叶 > 绿茶, with filterable attributes on 茶叶."""
    tea = tea_categories()
    food = tea.parent
    CategoryAttributeFactory(
        category=tea, code="net_weight", name="净含量(g)", kind="number", filterable=True
    )
    CategoryAttributeFactory(
        category=tea, code="organic", name="有机认证", kind="boolean", filterable=True
    )
    CategoryAttributeFactory(category=food, code="brand", name="品牌", kind="text")
    return tea


def names(response) -> list[str]:
    """Product names on a listing page, in page order."""
    return re.findall(r'<span class="product-name">([^<]*)</span>', response.text)


def test_money_filter_writes_yuan_with_two_places_and_thousands():
    template = Template("{% load catalog_tags %}{{ a|money }} {{ b|money }} [{{ c|money }}]")
    context = Context({"a": Decimal("1299"), "b": Decimal("0.5"), "c": None})
    assert template.render(context) == "¥1,299.00 ¥0.50 []"


# --- Only listed goods ---------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_LISTED)
def test_goods_not_listed_are_nowhere_on_the_storefront(client, tea, status):
    make_listed_product(name="在售的龙井", category=tea, featured=True)
    hidden = make_listed_product(
        name="隐藏的龙井", category=tea, status=status, featured=True, listed_at=timezone.now()
    )

    assert client.get(f"/product/{hidden.pk}/").status_code == 404
    for url in ("/", "/category/tea/", "/category/food/", "/search/?q=龙井"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "在售的龙井" in names(response), url
        assert "隐藏的龙井" not in response.text, url


def test_unknown_or_hidden_category_is_a_404(client, tea):
    assert client.get("/category/no-such-thing/").status_code == 404
    tea.parent.is_active = False
    tea.parent.save()
    # Hiding a category hides its whole branch.
    assert client.get("/category/food/").status_code == 404
    assert client.get("/category/tea/").status_code == 404
    assert client.get("/product/999999/").status_code == 404


# --- Home ------------------------------------------------------------------------------------


def test_home_shows_categories_featured_and_newest_goods(client, tea):
    hidden = CategoryFactory(name="隐藏类目", slug="hidden", is_active=False)
    make_listed_product(name="推荐的礼盒", category=tea, featured=True)
    make_listed_product(name="刚上架的新茶", category=tea)

    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/category/food/"' in response.text
    assert 'href="/category/tea/"' in response.text  # a top-level category's children
    assert hidden.name not in response.text
    featured = response.text.split('id="featured"')[1].split("</section>")[0]
    newest = response.text.split('id="newest"')[1].split("</section>")[0]
    assert "推荐的礼盒" in featured and "刚上架的新茶" not in featured
    assert "刚上架的新茶" in newest and "¥99.00" in newest


def test_home_without_goods_shows_the_empty_state(client):
    response = client.get("/")
    assert "No goods are on sale yet" in response.text


def test_category_names_follow_the_language(client, tea):
    make_listed_product(name="龙井", category=tea)
    assert "Tea" in client.get("/category/tea/").text  # tests run in English
    response = client.get("/category/tea/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "<h1>茶叶</h1>" in response.text


# --- Category listings -----------------------------------------------------------------------


def test_category_page_includes_goods_of_subcategories(client, tea):
    green = tea.children.get()
    make_listed_product(name="茶叶本类的茶", category=tea)
    make_listed_product(name="绿茶子类的茶", category=green)
    make_listed_product(name="别的类目的东西", category=CategoryFactory())

    assert sorted(names(client.get("/category/food/"))) == ["绿茶子类的茶", "茶叶本类的茶"]
    assert names(client.get("/category/green-tea/")) == ["绿茶子类的茶"]
    page = client.get("/category/green-tea/").text
    breadcrumbs = page.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert 'href="/category/food/"' in breadcrumbs and 'href="/category/tea/"' in breadcrumbs


def test_sorting_by_newest_price_and_name(client, tea):
    now = timezone.now()
    year = datetime.timedelta(days=365)  # not now.replace(year=...): no 29 February in 2025
    make_listed_product(name="B 中价", category=tea, prices=["50.00"], listed_at=now)
    make_listed_product(
        name="A 高价", category=tea, prices=["20.00", "300.00"], listed_at=now - 2 * year
    )
    make_listed_product(name="C 低价", category=tea, prices=["10.00"], listed_at=now - year)

    def order(sort):
        return names(client.get("/category/tea/", {"sort": sort}))

    assert order("newest") == ["B 中价", "C 低价", "A 高价"]
    assert order("") == order("newest")
    # Ascending by the lowest price, descending by the highest.
    assert order("price") == ["C 低价", "A 高价", "B 中价"]
    assert order("-price") == ["A 高价", "B 中价", "C 低价"]
    assert order("name") == ["A 高价", "B 中价", "C 低价"]


def test_price_range_uses_the_current_price_and_follows_a_price_change(client, tea):
    moving = make_listed_product(name="会调价的茶", category=tea, prices=["100.00"])
    make_listed_product(name="便宜的茶", category=tea, prices=["30.00"])

    def in_range(low, high):
        return names(client.get("/category/tea/", {"price_min": low, "price_max": high}))

    assert in_range("50", "120") == ["会调价的茶"]
    assert in_range("", "40") == ["便宜的茶"]
    set_price(sku=moving.skus.get(), amount="129.00", actor=None, reason="调价")
    assert in_range("50", "120") == []
    assert in_range("125", "") == ["会调价的茶"]
    # A scheduled price that is not yet in force does not count.
    sku = SKUFactory(product=moving, position=1)
    SkuPriceFactory(
        sku=sku, amount="60.00", valid_from=timezone.now() + datetime.timedelta(days=365)
    )
    assert in_range("50", "120") == []


def test_a_price_range_card_shows_lowest_to_highest(client, tea):
    make_listed_product(name="两种规格", category=tea, prices=["1299.00", "19.90"])
    assert "¥19.90 – ¥1,299.00" in client.get("/category/tea/").text


def test_in_stock_only_counts_unreserved_stock_of_skus_on_sale(client, tea):
    make_listed_product(name="有货", category=tea, stock=3)
    make_listed_product(name="没货", category=tea, stock=0)
    reserved = make_listed_product(name="全被预订", category=tea, stock=2)
    # Reservations belong to the inventory issue's service; the row is what it will write.
    Stock.objects.filter(sku__product=reserved).update(reserved=2)
    retired = make_listed_product(
        name="停售规格有货", category=tea, prices=["9", "9"], stock=[0, 8]
    )
    retired.skus.filter(position=1).update(is_active=False)

    assert names(client.get("/category/tea/", {"in_stock": "on"})) == ["有货"]
    everything = client.get("/category/tea/")
    assert len(names(everything)) == 4
    assert everything.text.count("Out of stock") == 3


def test_attribute_filters_choice_number_and_yes_no(client, tea):
    make_listed_product(
        name="特级有机",
        category=tea,
        attributes={"grade": "特级", "net_weight": 250, "organic": True},
    )
    make_listed_product(
        name="一级大包", category=tea, attributes={"grade": "一级", "net_weight": "500"}
    )
    make_listed_product(
        name="二级散装", category=tea, attributes={"grade": "二级", "net_weight": "约一斤"}
    )

    def shown(**query):
        return sorted(names(client.get("/category/tea/", query)))

    assert shown(a_grade="特级") == ["特级有机"]
    assert shown(a_grade=["特级", "一级"]) == ["一级大包", "特级有机"]
    # Numbers stored as JSON numbers or numeric strings compare as numbers; text is skipped.
    assert shown(a_net_weight_min="300") == ["一级大包"]
    assert shown(a_net_weight_max="300") == ["特级有机"]
    assert shown(a_organic="on") == ["特级有机"]
    page = client.get("/category/tea/").text
    assert 'name="a_grade"' in page and 'name="a_net_weight_min"' in page
    assert 'name="a_brand"' not in page  # not filterable


def test_pagination_is_24_a_page_and_forgiving(client, tea):
    for n in range(30):
        make_listed_product(name=f"茶{n:02d}", category=tea)

    first = client.get("/category/tea/")
    assert len(names(first)) == 24
    assert "30 items" in first.text
    assert 'href="?page=2"' in first.text
    second = client.get("/category/tea/", {"page": "2"})
    assert len(names(second)) == 6
    assert client.get("/category/tea/", {"page": "abc"}).text.count("product-card") == 24
    for beyond in ("99", "-1", "0", "99999999999999999999"):
        response = client.get("/category/tea/", {"page": beyond})
        assert response.status_code == 200
        assert names(response) == names(second)


@pytest.mark.parametrize(
    ("query", "ignored"),
    [
        ({"price_min": "abc"}, "Lowest price"),
        ({"price_min": "-5"}, "Lowest price"),
        ({"price_max": "1e999"}, "Highest price"),
        ({"price_min": "NaN"}, "Lowest price"),
        ({"price_min": "10", "price_max": "5"}, "Highest price"),
        ({"sort": "bogus"}, "Sort by"),
        ({"a_grade": "不存在的等级"}, "等级"),
        ({"a_net_weight_min": "heavy"}, "净含量(g)"),
    ],
)
def test_bad_filter_input_is_ignored_with_a_notice(client, tea, query, ignored):
    make_listed_product(name="龙井", category=tea, prices=["50.00"])
    response = client.get("/category/tea/", query)
    assert response.status_code == 200
    assert "Some filters were ignored" in response.text
    notice = response.text.split('class="notice"')[1].split("</div>")[0]
    assert ignored in notice
    assert names(response) == ["龙井"]  # the bad filter did not apply


# --- Search ----------------------------------------------------------------------------------


def test_search_finds_a_chinese_substring_in_the_middle_of_a_name(client, tea):
    make_listed_product(name="有机高山绿茶礼盒", category=tea)
    make_listed_product(name="云南普洱熟茶", category=tea)
    rebuild_search_terms()  # the hourly vocabulary: 茶 alone is no word, 绿茶 and 熟茶 are

    for query in ("高山绿茶", "绿茶", "礼盒", "有机高山绿茶礼盒"):
        response = client.get("/search/", {"q": query})
        assert names(response) == ["有机高山绿茶礼盒"], query
    assert names(client.get("/search/", {"q": "茶"})) == ["云南普洱熟茶", "有机高山绿茶礼盒"]
    assert "1 result for “高山绿茶”" in client.get("/search/", {"q": "高山绿茶"}).text


def test_search_finds_english_words_case_insensitively_and_every_word_must_match(client, tea):
    make_listed_product(name="Organic Green Tea Gift Box", category=tea)
    make_listed_product(name="Green Coffee Beans", category=tea, brand="BeanHouse")

    assert names(client.get("/search/", {"q": "GREEN tea"})) == ["Organic Green Tea Gift Box"]
    assert sorted(names(client.get("/search/", {"q": "green"}))) == [
        "Green Coffee Beans",
        "Organic Green Tea Gift Box",
    ]
    # Brand and attribute values are searched too.
    assert names(client.get("/search/", {"q": "beanhouse"})) == ["Green Coffee Beans"]
    assert names(client.get("/search/", {"q": "100%_"})) == []  # LIKE wildcards are literal


def test_search_puts_the_closest_match_first_and_can_sort_by_price(client, tea):
    make_listed_product(name="龙井茶叶罐子收纳盒大号", category=tea, prices=["10"])
    make_listed_product(name="龙井", category=tea, prices=["500"])

    assert names(client.get("/search/", {"q": "龙井"})) == ["龙井", "龙井茶叶罐子收纳盒大号"]
    by_price = client.get("/search/", {"q": "龙井", "sort": "price"})
    assert names(by_price) == ["龙井茶叶罐子收纳盒大号", "龙井"]
    filtered = client.get("/search/", {"q": "龙井", "price_min": "100"})
    assert names(filtered) == ["龙井"]


def test_search_ignores_delisted_goods(client, tea):
    product = make_listed_product(name="有机高山绿茶礼盒", category=tea)
    assert names(client.get("/search/", {"q": "绿茶"})) == ["有机高山绿茶礼盒"]
    Product.objects.filter(pk=product.pk).update(status=Product.Status.DELISTED)
    response = client.get("/search/", {"q": "绿茶"})
    assert names(response) == []
    assert "No goods match “绿茶”" in response.text


def test_search_without_a_query_asks_for_one(client):
    response = client.get("/search/", {"q": "   "})
    assert response.status_code == 200
    assert "Type what you are looking for" in response.text


# --- Product page ----------------------------------------------------------------------------


@pytest.fixture
def longjing(tea):
    product = make_listed_product(
        name="西湖龙井 明前特级",
        subtitle="核心产区 手工炒制",
        brand="狮峰",
        origin="浙江杭州",
        category=tea.children.get(),
        prices=["298.00", "1299.00", "88.00"],
        stock=[50, 3, 0],
        specs=[{"净含量": "250g"}, {"净含量": "1kg"}, {"净含量": "50g"}],
        attributes={"grade": "特级", "organic": True, "brand": "狮峰"},
        info={"shelf_life": "18 个月", "storage": "密封、避光、冷藏"},
        after_sales_terms="质量问题 48 小时内联系客服，包退换。",
    )
    ProductImageFactory(product=product, alt="正面", color="darkgreen")
    ProductImageFactory(product=product, alt="茶汤", color="khaki")
    return product


def test_product_page_shows_gallery_price_stock_specs_and_after_sales(client, longjing):
    response = client.get(f"/product/{longjing.pk}/")
    assert response.status_code == 200
    page = response.text
    assert "<h1" in page and "西湖龙井 明前特级" in page
    # Breadcrumbs: the category lineage, root first.
    crumbs = page.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert crumbs.index("Food &amp; drink") < crumbs.index("Tea") < crumbs.index("Green tea")
    # Gallery: the medium thumbnail as the main picture, small thumbnails to switch.
    first, second = longjing.images.order_by("position")
    assert f'src="{first.thumb_medium.url}"' in page
    assert f'src="{second.thumb_small.url}"' in page
    assert "_m.jpg" in first.thumb_medium.url
    # The first SKU in stock is chosen: its price and state.
    assert '<p class="price large" id="price">¥298.00</p>' in page
    assert "In stock" in page
    assert page.count('class="sku-option') == 3
    # Specifications named by the schema; information labelled; origin.
    specs = page.split('class="specifications"')[1].split("</table>")[0]
    for label, value in [
        ("等级", "特级"),
        ("有机认证", "Yes"),
        ("品牌", "狮峰"),
        ("Place of origin", "浙江杭州"),
        ("Shelf life", "18 个月"),
        ("Storage", "密封、避光、冷藏"),
    ]:
        assert f'<th scope="row">{label}</th><td>{value}</td>' in specs, label
    assert "质量问题 48 小时内联系客服" in page
    assert "7-day no-reason return" in page and "Not eligible" not in page
    # The SKU in stock can be put in the cart or bought at once.
    form = page.split('class="add-to-cart"')[1].split("</form>")[0]
    assert 'name="sku"' in form and 'id="add-to-cart"' in form and 'name="buy_now"' in form


def test_choosing_a_sku_changes_price_and_stock_state_server_side(client, longjing):
    skus = list(longjing.skus.order_by("position"))

    big = client.get(f"/product/{longjing.pk}/", {"sku": skus[1].pk}).text
    assert 'id="price">¥1,299.00<' in big
    assert "Only 3 left" in big
    assert f'href="?sku={skus[0].pk}"' in big

    small = client.get(f"/product/{longjing.pk}/", {"sku": skus[2].pk}).text
    assert 'id="price">¥88.00<' in small
    assert "Out of stock" in small

    for nonsense in ("abc", "999999", ""):
        page = client.get(f"/product/{longjing.pk}/", {"sku": nonsense})
        assert page.status_code == 200
        assert 'id="price">¥298.00<' in page.text


def test_gallery_switches_the_main_image_without_javascript(client, longjing):
    second = longjing.images.order_by("position")[1]
    page = client.get(f"/product/{longjing.pk}/", {"image": second.pk}).text
    main = page.split('class="gallery-main"')[1].split("</a>")[0]
    assert second.thumb_medium.url in main
    # No script of the product page's own: only the site-wide files (the search box's
    # autosuggest, the small behaviours file).
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == [
        '<script src="/static/catalog/suggest.js" defer>',
        '<script src="/static/mall/behaviour.js" defer>',
    ]


def test_goods_excluded_from_no_reason_return_say_so(client, tea):
    product = make_listed_product(name="鲜切花", category=tea, no_reason_return=False)
    page = client.get(f"/product/{product.pk}/").text
    assert "Not eligible for 7-day no-reason return" in page


def test_a_listed_product_in_a_hidden_category_still_opens(client, tea):
    product = make_listed_product(name="龙井", category=tea)
    tea.is_active = False
    tea.save()
    page = client.get(f"/product/{product.pk}/")
    assert page.status_code == 200
    assert 'href="/category/tea/"' not in page.text  # no link to a page that would 404


# --- Fixed query counts ----------------------------------------------------------------------


def _build_goods(category, count, start):
    for n in range(start, start + count):
        product = make_listed_product(
            name=f"绿茶{n}",
            category=category,
            prices=["10", "20"],
            stock=[n % 3, 1],
            featured=True,
            attributes={"grade": "特级", "net_weight": 250, "organic": True},
        )
        ProductImageFactory(product=product)


# At most six queries a page (the bound), counted as production runs a page the
# page cache cannot serve (a signed-in shopper, the first request after a change): the
# category tree, attribute schemas and synonyms come from Redis (``reference_cache``).
PAGES = [
    # + the version of the promotions and coupons on home, category and product pages
    # the featured goods; the newest goods (prices, stock, thumbnail, offer: in the row)
    ("home", "/", 3),
    # the capped count (primary keys, LIMIT 1001); the page of goods
    ("category", "/category/food/", 3),
    (
        "filtered",
        "/category/food/?price_min=1&price_max=99&in_stock=on&a_grade=特级"
        "&a_net_weight_min=100&a_organic=on&sort=price",
        3,
    ),
    # the capped count, one page of ids, the goods
    ("search", "/search/?q=绿茶&sort=-price&in_stock=on", 3),
    # nothing matches: the vocabulary (Latin words may be pinyin), the count, the count of
    # goods matching some words, "did you mean" (the known words, then the closest
    # spelling of each unknown word: one query a word, at most eight words)
    ("search, nothing found", "/search/?q=green+tea", 6),
    # the product; its SKUs (next announced change included); its images; the rating
    # summary (one aggregate); the newest reviews with their photos; the flash-sale
    # banner's sale of the SKU; + the 买了又买 slot: its source's ids and the goods
    # (tests/analytics/test_recommendations.py)
    ("product", "PRODUCT", 9),
]


@pytest.mark.parametrize(("label", "url", "bound"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.usefixtures("rules_kept")
def test_pages_run_a_fixed_number_of_queries_as_goods_grow(
    client, tea, reference_cache, django_assert_max_num_queries, label, url, bound
):
    green = tea.children.get()
    _build_goods(green, 5, 0)
    product = Product.objects.order_by("pk").first()
    url = url.replace("PRODUCT", f"/product/{product.pk}/")
    client.get(url)  # the reference data into Redis, as the first shopper does
    with django_assert_max_num_queries(bound):
        small = client.get(url)
    assert len(names(small)) >= 1 or label in ("product", "search, nothing found")
    _build_goods(green, 40, 5)
    for _sku in range(4):  # the product page grows too: more SKUs, images
        sku = SKUFactory(product=product, position=9)
        SkuPriceFactory(sku=sku, amount="15")
        StockFactory(sku=sku, on_hand=2)
    with django_assert_max_num_queries(bound):
        large = client.get(url)
    assert large.status_code == 200
    if label not in ("product", "search, nothing found"):
        assert len(names(large)) > len(names(small))


def test_selectors_annotate_prices_and_stock_in_sql(tea, django_assert_num_queries):
    make_listed_product(name="A", category=tea, prices=["12.50", "8.00"], stock=[4, 5])
    make_listed_product(name="B", category=tea, prices=["3.00"], stock=0)
    tree = selectors.category_tree()
    with django_assert_num_queries(1):
        rows = {
            p.name: (p.price_min, p.price_max, p.available)
            for p in selectors.listed_products(category=tea, tree=tree)
        }
    assert rows == {"A": (Decimal("8.00"), Decimal("12.50"), 9), "B": (Decimal("3.00"),) * 2 + (0,)}


def test_factory_goods_without_skus_show_no_price(client, tea):
    ProductFactory(name="还没定价", category=tea)
    response = client.get("/category/tea/")
    assert "Not on sale" in response.text


def test_search_with_control_characters_is_answered_not_a_500(client, tea):
    # PostgreSQL refuses NUL in text: the query is cleaned before it is used.
    response = client.get("/search/", {"q": "龙\x00井"})
    assert response.status_code == 200
    assert response.context["query"] == "龙井"
