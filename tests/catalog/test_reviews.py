"""Product reviews: a shopper reviews what they received, once per order line (the unique
order line is the last guard, also against two submissions at once); the order page
offers it, anyone else's line is not found and an undelivered order is refused; photos
are re-encoded; operators hide with a reason (a CHECK insists) and reply; the product
page and the reviews page show visible reviews only, with the rating summary, in a
fixed number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from catalog.models import ProductReview, ReviewPhoto
from catalog.selectors import product_reviews as review_selectors
from catalog.services import product_reviews as reviews
from orders.models import OrderLine
from orders.services import line_reviews as product_reviews
from tests.catalog.factories import make_listed_product, tea_categories
from tests.concurrency import race
from tests.customers.factories import UserFactory
from tests.orders.aftersales_helpers import delivered, delivered_order, jpeg
from tests.orders.factories import listed_sku, place
from tests.orders.paying import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=50, name="明前龙井")


@pytest.fixture
def shopper(db):
    return UserFactory(display_name="林夏")


@pytest.fixture
def order(tea, shopper):
    return delivered_order(items=[(tea, 1)], user=shopper)


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


def review_url(order, line=None):
    line = line or order.lines.get()
    return reverse("orders:review_line", args=[order.number, line.pk])


def post_review(client, order, *, rating=5, text="茶香浓郁，回甘明显。", photos=(), line=None):
    data = {"rating": rating, "text": text}
    if photos:
        data["photos"] = list(photos)
    return client.post(review_url(order, line), data)


_line_ids = iter(range(900_000, 2_000_000))


def review(product, *, rating=5, text="好茶", user=None, photos=(), status="visible"):
    """A review recorded through the catalog service (the orders app's checks are tested
    on their own below)."""
    made = reviews.submit_review(
        user=user or UserFactory(),
        order_line_id=next(_line_ids),
        sku=product.skus.first(),
        rating=rating,
        text=text,
        photos=photos,
    )
    if status == "hidden":
        made = reviews.hide_review(review=made, actor=UserFactory(), reason="广告")
    return made


# --- Writing a review from the order page -------------------------------------------------------


def test_a_shopper_reviews_a_delivered_item_once_from_the_order_page(shopper_client, order, tea):
    page = shopper_client.get(reverse("orders:order_detail", args=[order.number])).text
    assert f'href="{review_url(order)}"' in page

    assert shopper_client.get(review_url(order)).status_code == 200
    response = post_review(
        shopper_client, order, photos=[jpeg(exif=True), jpeg("b.png", color="navy")]
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order_detail", args=[order.number])
    made = ProductReview.objects.get()
    line = order.lines.get()
    assert (made.order_line_id, made.sku, made.product_id, made.user) == (
        line.pk,
        tea,
        tea.product_id,
        order.user,
    )
    assert (made.rating, made.text, made.status) == (5, "茶香浓郁，回甘明显。", "visible")
    assert made.photos.count() == 2

    page = shopper_client.get(reverse("orders:order_detail", args=[order.number])).text
    assert f'href="{review_url(order)}"' not in page and "Reviewed" in page
    # A second review of the line: back to the order, nothing written.
    again = post_review(shopper_client, order, rating=1, text="再评一次")
    assert again.status_code == 302
    assert shopper_client.get(review_url(order)).status_code == 302
    assert ProductReview.objects.count() == 1


def test_photos_are_re_encoded_without_exif_with_a_thumbnail_in_public_media(order):
    made = product_reviews.review_line(
        line=order.lines.get(),
        actor=order.user,
        rating=4,
        photos=[jpeg(exif=True, size=(2400, 1800))],
    )
    photo = made.photos.get()
    for stored in (photo.image, photo.thumb):
        assert stored.name.startswith(f"products/reviews/{made.pk}/")
        assert stored.name.endswith(".jpg")
        with stored.open("rb") as file:
            assert b"SecretCam" not in file.read()
    assert max(Image.open(photo.image.path).size) == reviews.PHOTO_SIDE
    assert max(Image.open(photo.thumb.path).size) == reviews.THUMB_SIDE


def test_anyone_elses_order_line_is_not_found(client, order):
    client.force_login(UserFactory())
    assert client.get(review_url(order)).status_code == 404
    assert post_review(client, order).status_code == 404
    # The shopper's own line under another order's number is not found either.
    other = delivered_order(items=[(order.lines.get().sku, 1)], user=order.user)
    client.force_login(order.user)
    url = reverse("orders:review_line", args=[other.number, order.lines.get().pk])
    assert client.get(url).status_code == 404
    assert not ProductReview.objects.exists()
    with pytest.raises(OrderLine.DoesNotExist):
        product_reviews.review_line(line=order.lines.get(), actor=UserFactory(), rating=5)


def test_signing_in_is_required(client, order):
    response = client.get(review_url(order))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_order_not_delivered_yet_cannot_be_reviewed(client, tea, shopper):
    paid = place(user=shopper, items=[(tea, 1)])
    pay(paid)
    client.force_login(shopper)
    page = client.get(reverse("orders:order_detail", args=[paid.number])).text
    assert "Write a review" not in page
    response = post_review(client, paid)
    assert response.status_code == 200
    assert 'id="review-not-yet"' in response.text
    assert not ProductReview.objects.exists()
    with pytest.raises(product_reviews.ReviewNotYet):
        product_reviews.review_line(line=paid.lines.get(), actor=shopper, rating=5)
    # Completed orders can be reviewed like delivered ones.
    delivered(paid, status="completed")
    assert post_review(client, paid).status_code == 302
    assert ProductReview.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "files", "error"),
    [
        ({"rating": ""}, [], "This field is required"),
        ({"rating": "0"}, [], "Select a valid choice"),
        ({"rating": "6"}, [], "Select a valid choice"),
        ({"rating": "5", "text": "好" * 2001}, [], "at most 2000 characters"),
        (
            {"rating": "5"},
            [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")],
            "not an image we can read",
        ),
        ({"rating": "5"}, [jpeg(f"{n}.jpg") for n in range(7)], "at most 6 photos"),
    ],
    ids=["no-rating", "zero", "six", "too-long", "not-an-image", "too-many-photos"],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_written(
    shopper_client, order, data, files, error
):
    if files:
        for upload in files:
            upload.seek(0)
        data = {**data, "photos": files}
    response = shopper_client.post(review_url(order), data)
    assert response.status_code == 200
    assert error in response.text
    assert not ProductReview.objects.exists() and not ReviewPhoto.objects.exists()


def test_the_service_refuses_bad_input_with_every_problem(tea, shopper):
    with pytest.raises(reviews.ReviewRefused) as refused:
        reviews.submit_review(
            user=shopper, order_line_id=1, sku=tea, rating="x", text="好" * 2001, photos=[]
        )
    assert len(refused.value.problems) == 2
    assert not ProductReview.objects.exists()


# --- One review per order line: the database decides ---------------------------------------


def test_the_unique_order_line_refuses_a_second_review(order):
    line = order.lines.get()
    product_reviews.review_line(line=line, actor=order.user, rating=5)
    with pytest.raises(reviews.AlreadyReviewed):
        product_reviews.review_line(line=line, actor=order.user, rating=1, photos=[jpeg()])
    assert ProductReview.objects.count() == 1 and not ReviewPhoto.objects.exists()


def test_two_submissions_at_once_record_one_review(transactional_db):
    sku = listed_sku(price="45.00", stock=10)
    order = delivered_order(items=[(sku, 1)])
    line = order.lines.select_related("order", "sku").get()
    ratings = (5, 1)
    made, refused = race(
        lambda i: product_reviews.review_line(
            line=line, actor=order.user, rating=ratings[i], text="快"
        ),
        len(ratings),
    )
    assert all(isinstance(error, reviews.AlreadyReviewed) for error in refused), refused
    assert (len(made), len(refused)) == (1, 1)
    assert ProductReview.objects.filter(order_line_id=line.pk).count() == 1


# --- Moderation and replies -------------------------------------------------------------------


def test_hiding_needs_a_reason_and_the_database_insists(tea):
    made = review(tea.product)
    moderator = UserFactory(roles=["operator"])
    with pytest.raises(reviews.ModerationRefused):
        reviews.hide_review(review=made, actor=moderator, reason="   ")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductReview.objects.filter(pk=made.pk).update(status="hidden", hidden_reason="")
    hidden = reviews.hide_review(review=made, actor=moderator, reason="含有联系方式")
    assert (hidden.status, hidden.hidden_reason, hidden.moderated_by) == (
        "hidden",
        "含有联系方式",
        moderator,
    )
    with pytest.raises(reviews.ModerationRefused):
        reviews.hide_review(review=made, actor=moderator, reason="again")
    shown = reviews.show_review(review=made, actor=moderator)
    assert (shown.status, shown.hidden_reason) == ("visible", "")
    with pytest.raises(reviews.ModerationRefused):
        reviews.show_review(review=made, actor=moderator)
    # Every moderation is kept, not only the last one; refusals wrote nothing.
    assert list(
        made.history.order_by("pk").values_list(
            "transition", "from_state", "to_state", "actor", "reason"
        )
    ) == [
        ("hide", "visible", "hidden", moderator.pk, "含有联系方式"),
        ("show", "hidden", "visible", moderator.pk, ""),
    ]


def test_hidden_reviews_leave_the_pages_and_the_summary(client, tea):
    product = tea.product
    review(product, rating=5, text="香气很好")
    spam = review(product, rating=1, text="加微信买便宜货")
    page = client.get(f"/product/{product.pk}/").text
    assert "加微信买便宜货" in page
    reviews.hide_review(review=spam, actor=UserFactory(), reason="广告")
    for url in (f"/product/{product.pk}/", f"/product/{product.pk}/reviews/"):
        text = client.get(url).text
        assert "香气很好" in text and "加微信买便宜货" not in text
    summary = review_selectors.rating_summary(product.pk)
    assert (summary.count, summary.average) == (1, 5)


def test_the_shops_reply_is_shown_under_the_review(client, tea):
    made = review(tea.product, rating=2, text="包装有点破")
    operator = UserFactory(roles=["operator"])
    reviews.reply_to_review(review=made, actor=operator, text="抱歉，已为您联系补发。")
    made.refresh_from_db()
    assert (made.replied_by, made.replied_at is not None) == (operator, True)
    assert "抱歉，已为您联系补发。" in client.get(f"/product/{tea.product_id}/").text
    with pytest.raises(reviews.ModerationRefused):
        reviews.reply_to_review(review=made, actor=operator, text="长" * 1001)
    other = UserFactory(roles=["operator"])
    reviews.reply_to_review(review=made, actor=other, text="已补发，单号 SF123。")
    reviews.reply_to_review(review=made, actor=other, text="已补发，单号 SF123。")  # unchanged
    reviews.reply_to_review(review=made, actor=operator, text="")
    made.refresh_from_db()
    assert (made.reply, made.replied_by) == ("", None)
    # The history keeps every version of the reply and who wrote it.
    assert list(made.history.order_by("pk").values_list("transition", "actor", "reason")) == [
        ("reply", operator.pk, "抱歉，已为您联系补发。"),
        ("reply", other.pk, "已补发，单号 SF123。"),
        ("remove_reply", operator.pk, ""),
    ]


# --- What shoppers see ------------------------------------------------------------------------


def test_the_rating_summary_counts_visible_reviews(client, tea):
    product = tea.product
    for rating in (5, 5, 4, 2, 1):
        review(product, rating=rating)
    review(product, rating=1, status="hidden")
    summary = review_selectors.rating_summary(product.pk)
    assert summary.count == 5
    assert str(summary.average) == "3.4"
    assert [(row.stars, row.count, row.percent) for row in summary.distribution] == [
        (5, 2, 40),
        (4, 1, 20),
        (3, 0, 0),
        (2, 1, 20),
        (1, 1, 20),
    ]
    empty = review_selectors.rating_summary(make_listed_product(category=product.category).pk)
    assert (empty.count, empty.average) == (0, None)

    page = client.get(f"/product/{product.pk}/").text
    assert 'id="rating-average">3.4<' in page
    assert "3.4 out of 5 from 5 reviews" in page
    assert f'href="/product/{product.pk}/reviews/"' in page
    detail = client.get(f"/api/v1/products/{product.pk}/").json()
    assert detail["rating"] == {
        "count": 5,
        "average": "3.4",
        "distribution": [
            {"stars": 5, "count": 2},
            {"stars": 4, "count": 1},
            {"stars": 3, "count": 0},
            {"stars": 2, "count": 1},
            {"stars": 1, "count": 1},
        ],
    }


def test_reviews_show_a_masked_name_the_variant_and_photos(client, tea):
    made = review(
        tea.product, user=UserFactory(display_name="王小明"), text="很好", photos=[jpeg()]
    )
    page = client.get(f"/product/{tea.product_id}/").text
    item = page.split(f'id="review-{made.pk}"')[1].split("</li>\n  \n</ol>")[0]
    assert "王***" in item and "王小明" not in page
    photo = made.photos.get()
    assert f'src="/media/{photo.thumb.name}"' in item
    assert f'href="/media/{photo.image.name}"' in item
    assert client.get(f"/media/{photo.thumb.name}").status_code == 200  # public media


def test_the_reviews_page_pages_and_filters_by_stars(client, tea):
    product = tea.product
    for n in range(12):
        review(product, rating=5 if n % 3 else 2, text=f"评价{n:02d}")
    first = client.get(f"/product/{product.pk}/reviews/").text
    assert first.count('class="review"') == 10
    second = client.get(f"/product/{product.pk}/reviews/", {"page": 2}).text
    assert second.count('class="review"') == 2
    poor = client.get(f"/product/{product.pk}/reviews/", {"rating": "2"}).text
    assert poor.count('class="review"') == 4
    for bad in ("x", "9", "-1", ""):
        response = client.get(f"/product/{product.pk}/reviews/", {"rating": bad, "page": "z"})
        assert response.status_code == 200 and response.text.count('class="review"') == 10


def test_goods_not_listed_have_no_reviews_page(client, tea):
    product = tea.product
    product.status = "delisted"
    product.save(update_fields=["status"])
    assert client.get(f"/product/{product.pk}/reviews/").status_code == 404
    assert client.get("/product/999999/reviews/").status_code == 404


# --- Fixed query counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "bound"),
    [
        # the product page's own 9 (tests/catalog/test_storefront.py) + summary + reviews
        ("/product/{pk}/", 13),  # tests/catalog/test_storefront.py
        # the product, the summary, the paginator's count, the page of reviews with photos
        ("/product/{pk}/reviews/", 4),
    ],
    ids=["product", "reviews"],
)
def test_review_pages_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, url, bound
):
    product = make_listed_product(name="龙井", category=tea_categories())
    url = url.format(pk=product.pk)
    review(product, photos=[jpeg()])
    with django_assert_max_num_queries(bound):
        small = client.get(url)
    assert small.text.count('class="review"') == 1
    for n in range(12):
        review(product, rating=1 + n % 5, photos=[jpeg(), jpeg("b.jpg")] if n % 2 else [])
    with django_assert_max_num_queries(bound):
        large = client.get(url)
    assert large.text.count('class="review"') > 1
    assert large.text.count("/media/products/reviews/") > small.text.count(
        "/media/products/reviews/"
    )


def test_the_order_page_keeps_its_query_bound_with_reviews(
    shopper_client, shopper, tea, django_assert_max_num_queries
):
    skus = [tea, *(listed_sku(price="10.00", stock=10, name=f"茶{n}") for n in range(4))]
    order = delivered_order(items=[(sku, 1) for sku in skus], user=shopper)
    for line in list(order.lines.all())[:3]:
        product_reviews.review_line(line=line, actor=shopper, rating=4)
    with django_assert_max_num_queries(10):  # tests/orders/test_checkout_pages.py
        page = shopper_client.get(reverse("orders:order_detail", args=[order.number]))
    assert page.text.count('class="write-review"') == 2
    assert page.text.count("line-reviewed") == 3


# --- Moderation in the admin ------------------------------------------------------------------

REVIEWS_ADMIN = "/admin/catalog/productreview/"


def test_operators_filter_reviews_by_rating_status_product_and_supplier(client, tea):
    other = make_listed_product(name="碧螺春", category=tea.product.category)
    review(tea.product, rating=1, text="太苦了")
    review(tea.product, rating=5, text="香", status="hidden")
    review(other, rating=4, text="不错")
    client.force_login(UserFactory(roles=["operator"]))

    def rows(**params):
        page = client.get(REVIEWS_ADMIN, params).text
        if "result_list" not in page:
            return ""
        return page.split('id="result_list"')[1].split("</table>")[0]

    assert all(text in rows() for text in ("太苦了", "香", "不错"))
    assert "太苦了" in rows(rating=1) and "不错" not in rows(rating=1)
    assert "香" in rows(status__exact="hidden") and "太苦了" not in rows(status__exact="hidden")
    assert "不错" in rows(product__id__exact=other.pk) and "太苦了" not in rows(
        product__id__exact=other.pk
    )
    supplier = tea.product.supplier_id
    assert "太苦了" in rows(product__supplier__id__exact=supplier)
    assert "不错" not in rows(product__supplier__id__exact=supplier)


def test_an_operator_hides_a_review_with_a_reason_and_shows_it_again(client, tea):
    made = review(tea.product, text="加我微信 abc123", photos=[jpeg()])
    operator = UserFactory(roles=["operator"])
    client.force_login(operator)
    selection = {"action": "hide_review", "_selected_action": [made.pk]}

    asked = client.post(REVIEWS_ADMIN, selection)
    assert asked.status_code == 200 and 'name="reason"' in asked.text
    empty = client.post(REVIEWS_ADMIN, {**selection, "apply": "1", "reason": "  "})
    assert empty.status_code == 200 and "This field is required" in empty.text
    made.refresh_from_db()
    assert made.status == "visible"

    done = client.post(REVIEWS_ADMIN, {**selection, "apply": "1", "reason": "含有联系方式"})
    assert done.status_code == 302
    made.refresh_from_db()
    assert (made.status, made.hidden_reason, made.moderated_by) == (
        "hidden",
        "含有联系方式",
        operator,
    )
    assert "abc123" not in client.get(f"/product/{tea.product_id}/").text

    client.post(REVIEWS_ADMIN, {"action": "show_review", "_selected_action": [made.pk]})
    made.refresh_from_db()
    assert made.status == "visible"

    change = client.get(f"{REVIEWS_ADMIN}{made.pk}/change/").text
    assert made.photos.get().thumb.url in change
    assert 'id="reply-link"' in change
    # The moderation history, newest first, on the review's page.
    history = change.split("Moderation history")[1]
    assert history.index("shown again") < history.index("含有联系方式")


def test_an_operator_replies_on_the_reply_page(client, tea):
    made = review(tea.product, rating=2, text="物流慢")
    client.force_login(UserFactory(roles=["operator"]))
    url = reverse("admin:catalog_productreview_reply", args=[made.pk])
    assert "物流慢" in client.get(url).text
    response = client.post(url, {"reply": "抱歉让您久等，我们已督促快递改进。"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.reply == "抱歉让您久等，我们已督促快递改进。"
    too_long = client.post(url, {"reply": "长" * 1001})
    assert too_long.status_code == 200
    made.refresh_from_db()
    assert made.reply.startswith("抱歉")


def test_analysts_read_reviews_but_do_not_moderate(client, tea):
    made = review(tea.product, text="一般")
    client.force_login(UserFactory(roles=["analyst"]))
    listing = client.get(REVIEWS_ADMIN)
    assert listing.status_code == 200 and "一般" in listing.text
    assert "hide_review" not in listing.text
    client.post(
        REVIEWS_ADMIN,
        {"action": "hide_review", "_selected_action": [made.pk], "apply": "1", "reason": "x"},
    )
    assert client.get(reverse("admin:catalog_productreview_reply", args=[made.pk])).status_code == (
        403
    )
    made.refresh_from_db()
    assert made.status == "visible"
    assert client.get(f"{REVIEWS_ADMIN}{made.pk}/delete/").status_code == 403


# --- Demo data --------------------------------------------------------------------------------


def test_the_demo_reviews_belong_to_delivered_order_lines(settings):
    from ops.demo import accounts as customers_demo
    from ops.demo import reviews as demo_reviews
    from orders.models import Order
    from tests.orders.fulfilment_helpers import calm_carrier

    calm_carrier(settings)
    settings.MALL_PAYMENT_PROVIDERS = ["sandbox"]
    customers_demo.seed()
    category = tea_categories()
    for n in range(demo_reviews.SKIP + demo_reviews.GOODS):
        make_listed_product(name=f"演示商品{n}", category=category, stock=40)

    demo_reviews.seed()
    demo_reviews.seed()  # again: nothing more

    made = ProductReview.objects.all()
    planned = sum(len(items) for *_rest, items in demo_reviews.PLAN)
    assert made.count() == planned
    assert made.values("product").distinct().count() == demo_reviews.GOODS
    lines = OrderLine.objects.filter(pk__in=made.values("order_line_id")).select_related("order")
    assert len(lines) == planned
    for line in lines:
        assert line.order.status in ("delivered", "completed")
        assert line.order.user_id == made.get(order_line_id=line.pk).user_id
    assert made.filter(status="hidden").count() == 1
    assert not made.filter(rating__lte=2, reply="").exists()
    assert ReviewPhoto.objects.exists()
    assert Order.objects.filter(idempotency_key__startswith="demo-reviews").count() == len(
        demo_reviews.PLAN
    )
