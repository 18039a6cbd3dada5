"""The public, read-only catalog API: /api/v1/categories/, /api/v1/products/[<id>/]."""

import datetime
from decimal import Decimal

import pytest
import yaml
from django.utils import timezone

from catalog.models import Product
from catalog.services.pricing import set_price
from tests.catalog.factories import (
    NOT_LISTED,
    CategoryFactory,
    ProductImageFactory,
    make_listed_product,
    tea_categories,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea():
    return tea_categories()


def product_names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_categories_are_a_flat_tree_with_parents_and_no_hidden_branches(client, tea):
    CategoryFactory(name="家电", slug="appliances", position=0)
    hidden = CategoryFactory(name="下架类目", slug="hidden", position=2, is_active=False)
    CategoryFactory(name="隐藏的子类", slug="hidden-child", parent=hidden)

    response = client.get("/api/v1/categories/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["slug"] for row in rows] == ["appliances", "food", "tea", "green-tea"]
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["tea"]["parent"] == by_slug["food"]["id"]
    assert by_slug["food"]["parent"] is None
    assert by_slug["tea"] == {
        "id": tea.pk,
        "slug": "tea",
        "name": "茶叶",
        "name_en": "Tea",
        "parent": tea.parent_id,
        "position": 0,
    }


def test_product_list_needs_no_login_and_shows_current_prices_and_stock(client, tea):
    make_listed_product(
        name="西湖龙井", category=tea, prices=["298.00", "88.00"], stock=[0, 2], image=True
    )
    make_listed_product(name="安吉白茶", category=tea, prices=["120"], stock=0)

    response = client.get("/api/v1/products/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["name"] == "西湖龙井")
    assert row["price_min"] == "88.00" and row["price_max"] == "298.00"
    assert row["in_stock"] is True
    assert row["category"]["slug"] == "tea"
    assert row["thumbnail"].startswith("http://testserver/media/products/")
    assert row["thumbnail"].endswith("_s.jpg")
    other = next(r for r in body["results"] if r["name"] == "安吉白茶")
    assert other["in_stock"] is False and other["thumbnail"] is None


@pytest.mark.parametrize("status", NOT_LISTED)
def test_goods_not_listed_are_absent_from_lists_and_404_in_detail(client, tea, status):
    make_listed_product(name="在售绿茶", category=tea)
    hidden = make_listed_product(name="隐藏绿茶", category=tea, status=status)

    assert client.get(f"/api/v1/products/{hidden.pk}/").status_code == 404
    for query in ({}, {"q": "绿茶"}, {"category": "food"}):
        assert product_names(client.get("/api/v1/products/", query)) == ["在售绿茶"]


def test_filters_category_search_price_stock_and_ordering(client, tea):
    green = tea.children.get()
    now = timezone.now()
    make_listed_product(
        name="有机高山绿茶礼盒", category=green, prices=["300"], listed_at=now, stock=5
    )
    make_listed_product(
        name="Organic Green Tea",
        category=tea,
        prices=["50"],
        listed_at=now - datetime.timedelta(days=365),  # not now.replace(year=2025): 29 February
    )
    make_listed_product(
        name="电热水壶", category=CategoryFactory(), prices=["99"], stock=0, listed_at=now
    )

    def shown(**query):
        return product_names(client.get("/api/v1/products/", query))

    assert shown(category="food", ordering="newest") == ["有机高山绿茶礼盒", "Organic Green Tea"]
    assert shown(category="green-tea") == ["有机高山绿茶礼盒"]
    assert shown(q="高山绿茶") == ["有机高山绿茶礼盒"]
    assert shown(q="绿茶") == ["有机高山绿茶礼盒"]
    assert shown(q="green TEA") == ["Organic Green Tea"]
    assert shown(price_min="60", price_max="299.99") == ["电热水壶"]
    assert shown(in_stock="true", ordering="price") == ["Organic Green Tea", "有机高山绿茶礼盒"]
    assert shown(ordering="-price") == ["有机高山绿茶礼盒", "电热水壶", "Organic Green Tea"]
    assert shown(ordering="name")[0] == "Organic Green Tea"


def test_a_price_change_moves_goods_in_and_out_of_a_price_range(client, tea):
    product = make_listed_product(name="调价茶", category=tea, prices=["120"])
    query = {"price_min": "50", "price_max": "150"}
    assert product_names(client.get("/api/v1/products/", query)) == ["调价茶"]
    set_price(sku=product.skus.get(), amount="155", actor=None, reason="涨价")
    assert product_names(client.get("/api/v1/products/", query)) == []
    detail = client.get(f"/api/v1/products/{product.pk}/").json()
    assert detail["skus"][0]["price"] == "155.00"


def test_product_list_is_paginated(client, tea):
    for n in range(25):
        make_listed_product(name=f"茶{n:02d}", category=tea)
    first = client.get("/api/v1/products/").json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    second = client.get("/api/v1/products/", {"page": 2}).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert client.get("/api/v1/products/", {"page": 9}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"price_min": "abc"}, "price_min"),
        ({"price_max": "-1"}, "price_max"),
        ({"price_min": "NaN"}, "price_min"),
        ({"price_min": "1e999"}, "price_min"),
        ({"price_min": "9", "price_max": "1"}, "price_max"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"ordering": "popularity"}, "ordering"),
        ({"category": "no-such-category"}, "category"),
        ({"category": "../x"}, "category"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"q": "长" * 101}, "q"),
    ],
)
def test_bad_query_parameters_are_a_400_with_field_errors(client, tea, query, field):
    make_listed_product(name="龙井", category=tea)
    response = client.get("/api/v1/products/", query)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert isinstance(body[field], list) and body[field][0]


def test_a_hidden_category_is_not_a_filter(client, tea):
    tea.is_active = False
    tea.save()
    response = client.get("/api/v1/products/", {"category": "green-tea"})
    assert response.status_code == 400
    assert response.json()["category"] == ["There is no such category."]


def test_product_detail_has_skus_images_attributes_info_and_terms(client, tea):
    product = make_listed_product(
        name="西湖龙井 明前特级",
        brand="狮峰",
        origin="浙江杭州",
        category=tea.children.get(),
        prices=["298.00", "1299.00"],
        stock=[50, 3],
        specs=[{"净含量": "250g"}, {"净含量": "1kg"}],
        attributes={"grade": "特级", "unknown": "不在模式里"},
        info={"shelf_life": "18 个月"},
        after_sales_terms="质量问题包退换。",
        no_reason_return=False,
    )
    ProductImageFactory(product=product, alt="正面")

    response = client.get(f"/api/v1/products/{product.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "西湖龙井 明前特级"
    assert [c["slug"] for c in body["breadcrumbs"]] == ["food", "tea", "green-tea"]
    assert body["price_min"] == "298.00" and body["price_max"] == "1299.00"
    assert [
        (s["spec_label"], s["price"], s["available"], s["stock_status"]) for s in body["skus"]
    ] == [
        ("250g", "298.00", 50, "in_stock"),
        ("1kg", "1299.00", 3, "low_stock"),
    ]
    assert body["attributes"] == [{"code": "grade", "name": "等级", "value": "特级"}]
    assert body["info"] == [{"code": "shelf_life", "name": "Shelf life", "value": "18 个月"}]
    assert body["after_sales_terms"] == "质量问题包退换。"
    assert body["no_reason_return"] is False
    image = body["images"][0]
    assert image["alt"] == "正面"
    for key in ("image", "thumb_small", "thumb_medium"):
        assert image[key].startswith("http://testserver/media/products/")
    assert client.get(image["thumb_medium"]).status_code == 200


def test_inactive_skus_are_not_offered(client, tea):
    product = make_listed_product(name="龙井", category=tea, prices=["10", "20"])
    product.skus.filter(position=1).update(is_active=False)
    body = client.get(f"/api/v1/products/{product.pk}/").json()
    assert [s["price"] for s in body["skus"]] == ["10.00"]
    assert client.get("/api/v1/products/").json()["results"][0]["price_max"] == "10.00"


def _grow(category, count):
    for n in range(count):
        product = make_listed_product(
            name=f"绿茶{n}", category=category, prices=["10", "20"], stock=[n % 2, 3]
        )
        ProductImageFactory(product=product)


@pytest.mark.parametrize(
    ("url", "bound"),
    [
        ("/api/v1/categories/", 1),
        ("/api/v1/products/", 2),
        ("/api/v1/products/?category=food&q=绿茶&price_min=1&in_stock=true&ordering=price", 3),
        ("DETAIL", 8),  # + the announced price changes; + the rating summary (one aggregate)
    ],
    ids=["categories", "products", "products-filtered", "detail"],
)
def test_api_runs_a_fixed_number_of_queries_as_goods_grow(
    client, tea, django_assert_max_num_queries, url, bound
):
    _grow(tea, 5)
    first = Product.objects.order_by("pk").first()
    url = url.replace("DETAIL", f"/api/v1/products/{first.pk}/")
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200
    _grow(tea.children.get(), 40)
    for n in range(5):
        CategoryFactory(parent=tea, name=f"子类{n}")
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200


def test_the_schema_documents_the_endpoints_and_query_parameters(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    assert {"/api/v1/categories/", "/api/v1/products/", "/api/v1/products/{id}/"} <= set(paths)
    parameters = {p["name"]: p for p in paths["/api/v1/products/"]["get"]["parameters"]}
    assert {"category", "q", "price_min", "price_max", "in_stock", "ordering", "page"} <= set(
        parameters
    )
    assert parameters["ordering"]["schema"]["enum"] == [
        "relevance",
        "newest",
        "price",
        "-price",
        "name",
    ]
    sku = schema["components"]["schemas"]["Sku"]["properties"]
    assert {"price", "available", "stock_status"} <= set(sku)


def test_prices_are_decimal_strings_never_floats(client, tea):
    make_listed_product(name="龙井", category=tea, prices=["0.10"])
    row = client.get("/api/v1/products/").json()["results"][0]
    assert row["price_min"] == "0.10"
    assert Decimal(row["price_min"]) == Decimal("0.10")
