"""Anonymous pages are cached in Redis and invalidated exactly: a price applied, goods
delisted, an item sold out or a flash sale starting show on the very next request."""

import datetime
import re
import time

import pytest
from django.utils import timezone

from catalog.services import admission, inventory, price_ranges, pricing
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cached(settings, redis_client):
    settings.MALL_PAGE_CACHE = True
    settings.MALL_REFERENCE_CACHE = True
    return redis_client


@pytest.fixture
def tea(db):
    return tea_categories()


def names(response) -> list[str]:
    return re.findall(r'<span class="product-name">([^<]*)</span>', response.content.decode())


def test_second_request_is_served_from_the_cache(client, cached, tea):
    make_listed_product(name="龙井", category=tea, prices=["88.00"])
    first = client.get("/category/tea/")
    second = client.get("/category/tea/")
    assert "X-Page-Cache" not in first and second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "Set-Cookie" not in second and "csrftoken" not in client.cookies


def test_a_price_change_is_visible_on_the_next_request(client, cached, tea):
    operator = UserFactory(roles=["operator"])
    product = make_listed_product(name="龙井", category=tea, prices=["100.00"])
    sku = product.skus.get()
    for url in ("/category/tea/", f"/product/{product.pk}/", "/search/?q=龙井", "/"):
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit", url
    pricing.set_price(sku=sku, amount="90.00", actor=operator, reason="促销")
    for url in ("/category/tea/", f"/product/{product.pk}/", "/search/?q=龙井"):
        page = client.get(url)
        assert "X-Page-Cache" not in page, url
        assert "¥90.00" in page.content.decode() and "¥100.00" not in page.content.decode()


def test_delisted_goods_leave_the_cached_listing(client, cached, tea):
    operator = UserFactory(roles=["operator"])
    product = make_listed_product(name="龙井", category=tea)
    make_listed_product(name="碧螺春", category=tea)
    client.get("/category/tea/")
    assert sorted(names(client.get("/category/tea/"))) == ["碧螺春", "龙井"]
    admission.delist_product(product=product, actor=operator, reason="抽检不合格")
    assert names(client.get("/category/tea/")) == ["碧螺春"]
    assert client.get(f"/product/{product.pk}/").status_code == 404


def test_an_item_that_sells_out_says_so_on_the_next_request(client, cached, tea):
    product = make_listed_product(name="龙井", category=tea, stock=2)
    client.get("/category/tea/")
    client.get(f"/product/{product.pk}/")
    assert "Out of stock" not in client.get("/category/tea/").content.decode()
    inventory.reserve(sku=product.skus.get(), quantity=2, reference="order 1")
    assert "Out of stock" in client.get("/category/tea/").content.decode()
    assert (
        'id="stock-state">\n          Out of stock'
        in client.get(f"/product/{product.pk}/").content.decode().replace("\r", "")
        or "Out of stock" in client.get(f"/product/{product.pk}/").content.decode()
    )


def test_an_offer_shows_from_its_start_to_the_second(client, cached, tea):
    product = make_listed_product(name="龙井", category=tea, prices=["100.00"])
    sku = product.skus.get()
    starts = timezone.now() + datetime.timedelta(seconds=2)
    offer = price_ranges.Offer(sku.pk, "60.00", starts, starts + datetime.timedelta(hours=1), "t")
    source = price_ranges.register_offer_source(lambda ids: [offer] if sku.pk in ids else [])
    try:
        price_ranges.refresh_offers(sku_ids=[sku.pk])
        before = client.get("/category/tea/")
        assert "Flash price" not in before.content.decode()
        assert client.get("/category/tea/")["X-Page-Cache"] == "hit"
        time.sleep(max(0.0, (starts - timezone.now()).total_seconds()) + 1.1)
        after = client.get("/category/tea/")
        assert "X-Page-Cache" not in after
        assert "Flash price ¥60.00" in after.content.decode()
        # ... and the price filter finds it at its flash price.
        assert names(client.get("/category/tea/", {"price_max": "70"})) == ["龙井"]
    finally:
        price_ranges._OFFER_SOURCES.remove(source)


def test_signed_in_shoppers_and_pinned_writers_are_never_served_from_the_cache(client, cached, tea):
    make_listed_product(name="龙井", category=tea)
    client.get("/category/tea/")
    assert client.get("/category/tea/")["X-Page-Cache"] == "hit"
    client.force_login(UserFactory())
    assert "X-Page-Cache" not in client.get("/category/tea/")


def test_the_product_page_form_gets_each_shopper_their_own_csrf_token(cached, tea):
    from django.test import Client

    product = make_listed_product(name="龙井", category=tea)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(f"/product/{product.pk}/")
    page = second.get(f"/product/{product.pk}/")
    assert page["X-Page-Cache"] == "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    added = second.post(
        "/cart/add/", {"sku": product.skus.get().pk, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302


def test_a_hidden_review_leaves_the_cached_cards_rating_on_the_next_request(client, cached, tea):
    from catalog.models import ProductReview
    from catalog.services import product_reviews

    product = make_listed_product(name="龙井", category=tea, prices=["88.00"])
    review = ProductReview.objects.create(
        product=product, sku=product.skus.get(), user=UserFactory(), order_line_id=1, rating=2
    )
    client.get("/category/tea/")
    cached_page = client.get("/category/tea/")
    assert cached_page["X-Page-Cache"] == "hit" and 'class="rating-number">2.0<' in (
        cached_page.content.decode()
    )
    product_reviews.hide_review(review=review, actor=UserFactory(roles=["operator"]), reason="广告")
    page = client.get("/category/tea/")
    assert "X-Page-Cache" not in page and "rating-number" not in page.content.decode()
