"""Product cards and the star meter: ratings drawn as shapes, right whatever the font."""

import re

import pytest

from catalog.models import ProductReview
from catalog.templatetags.review_tags import star_fills, star_meter
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import UserFactory


@pytest.mark.parametrize(
    "rating, fills",
    [
        (2.0, ["full", "full", "empty", "empty", "empty"]),
        ("2.0", ["full", "full", "empty", "empty", "empty"]),
        (3.5, ["full", "full", "full", "half", "empty"]),
        (4.8, ["full"] * 5),
        (0, ["empty"] * 5),
        (None, ["empty"] * 5),
        (7, ["full"] * 5),
    ],
)
def test_the_stars_follow_the_average(rating, fills):
    assert star_fills(rating) == fills


def test_a_two_point_zero_average_draws_two_filled_stars_and_three_empty_ones():
    html = str(star_meter("2.0"))
    assert len(re.findall(r'class="star full"', html)) == 2
    assert len(re.findall(r'class="star empty"', html)) == 3
    assert "★" not in html  # shapes, not glyphs whose widths depend on the font


@pytest.mark.django_db
def test_a_card_shows_the_rating_of_visible_reviews_only(client):
    tea = tea_categories()
    product = make_listed_product(name="云雾茶", category=tea, prices=("30.00",))
    sku = product.skus.get()
    for line, (rating, status) in enumerate(
        [(2, "visible"), (2, "visible"), (5, "hidden")], start=1
    ):
        ProductReview.objects.create(
            product=product,
            sku=sku,
            user=UserFactory(),
            order_line_id=line,
            rating=rating,
            status=status,
            hidden_reason="广告" if status == "hidden" else "",
        )
    card = client.get("/category/tea/").text.split(f'data-product="{product.pk}"')[1]
    card = card.split("</li>")[0]
    assert '<span class="rating-number">2.0</span> (2)' in card
    assert card.count('class="star full"') == 2
