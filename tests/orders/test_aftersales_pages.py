"""The shopper's after-sales pages: asked from the order page, the request form with its
photos and errors, the case page with its timeline, return parcel and withdrawal, the list;
only ever the shopper's own cases and photos (anyone else's: not found); photos never
under /media/ and never cached; a fixed number of queries per page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import AfterSalesCase, Order
from tests.customers.factories import UserFactory
from tests.orders import paying
from tests.orders.aftersales_helpers import (
    Kind,
    Reason,
    agent,
    approved,
    ask,
    delivered_order,
    inspected,
    jpeg,
    operator,
    sent_back,
)
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


@pytest.fixture
def order(tea):
    return delivered_order(items=[(tea, 2)])


@pytest.fixture
def shopper_client(client, order):
    client.force_login(order.user)
    return client


def _request_url(order):
    return reverse("aftersales:request", args=[order.number])


def test_the_order_page_offers_after_sales_once_delivered(client, tea):
    paid = place(items=[(tea, 1)])
    paying.pay(paid)
    client.force_login(paid.user)
    page = client.get(reverse("orders:order_detail", args=[paid.number])).content.decode()
    assert "ask-after-sales" not in page
    Order.objects.filter(pk=paid.pk).update(status="delivered", delivered_at=paid.placed_at)
    page = client.get(reverse("orders:order_detail", args=[paid.number])).content.decode()
    assert f'href="{_request_url(paid)}"' in page


def test_a_shopper_asks_with_photos_from_the_form(shopper_client, order):
    line = order.lines.get()
    page = shopper_client.get(_request_url(order))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'enctype="multipart/form-data"' in content and 'accept="image/*"' in content
    assert "Return without a reason" in content
    response = shopper_client.post(
        _request_url(order),
        {
            "kind": Kind.RETURN,
            "reason": Reason.DAMAGED,
            f"line_{line.pk}": "1",
            "description": "外盒压坏",
            "photos": [jpeg("a.jpg"), jpeg("b.jpg", color="navy")],
        },
    )
    case = AfterSalesCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("aftersales:case_detail", args=[case.number])
    assert (case.kind, case.reason, case.description) == ("return", "damaged", "外盒压坏")
    assert case.photos.count() == 2 and case.lines.get().quantity == 1


def test_refusals_come_back_on_the_form(shopper_client, order, settings):
    line = order.lines.get()
    response = shopper_client.post(
        _request_url(order),
        {"kind": Kind.RETURN, "reason": Reason.QUALITY, f"line_{line.pk}": "1"},
    )
    assert response.status_code == 200
    assert "Add at least one photo" in response.content.decode()
    response = shopper_client.post(
        _request_url(order),
        {"kind": Kind.RETURN, "reason": Reason.NO_REASON, f"line_{line.pk}": "3"},
    )
    assert "less than or equal to 2" in response.content.decode()
    settings.MALL_MAX_IMAGE_BYTES = 100
    response = shopper_client.post(
        _request_url(order),
        {
            "kind": Kind.RETURN,
            "reason": Reason.DAMAGED,
            f"line_{line.pk}": "1",
            "photos": [jpeg("big.jpg", size=(400, 400))],
        },
    )
    assert "big.jpg is larger than" in response.content.decode()
    text = b"just text, not a picture"
    fake = jpeg("notes.jpg")
    fake.file.seek(0)
    fake.file.truncate()
    fake.file.write(text)
    fake.file.seek(0)
    settings.MALL_MAX_IMAGE_BYTES = 10 * 1024 * 1024
    response = shopper_client.post(
        _request_url(order),
        {"kind": "return", "reason": "damaged", f"line_{line.pk}": "1", "photos": [fake]},
    )
    assert "not an image we can read" in response.content.decode()
    assert not AfterSalesCase.objects.exists()


def test_an_undelivered_order_shows_no_form(client, tea):
    paid = place(items=[(tea, 1)])
    paying.pay(paid)
    client.force_login(paid.user)
    page = client.get(_request_url(paid)).content.decode()
    assert "once the order has been delivered" in page and "request-form" not in page


def test_the_case_page_guides_the_shopper_until_the_refund(shopper_client, order):
    case = ask(order)
    url = reverse("aftersales:case_detail", args=[case.number])
    page = shopper_client.get(url).content.decode()
    assert 'id="case-status"' in page and "Requested" in page and "withdraw-form" in page
    approved(case)
    page = shopper_client.get(url).content.decode()
    assert "退货中心" in page and "send-back-form" in page and case.number in page
    response = shopper_client.post(
        reverse("aftersales:send_back", args=[case.number]),
        {"carrier": "sf", "tracking_number": "sf123456789"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.return_tracking_number) == ("in_transit", "SF123456789")
    page = shopper_client.get(url).content.decode()
    assert "SF Express SF123456789" in page and "send-back-form" not in page
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S).group(1)
    assert timeline.count("<li>") == 3 and "Goods sent back" in timeline


def test_a_bad_tracking_number_is_a_message(shopper_client, order):
    case = approved(ask(order))
    response = shopper_client.post(
        reverse("aftersales:send_back", args=[case.number]),
        {"carrier": "sf", "tracking_number": "12#45!78"},
        follow=True,
    )
    assert "6 to 40 letters" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "approved"


def test_the_shopper_withdraws(shopper_client, order):
    case = ask(order)
    response = shopper_client.post(
        reverse("aftersales:withdraw", args=[case.number]), {"reason": "不退了"}, follow=True
    )
    assert "withdrawn" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "withdrawn"


def test_a_shopper_sees_only_their_own_cases_and_photos(client, order, tea):
    case = ask(order, reason=Reason.DAMAGED)
    photo = case.photos.get()
    someone = UserFactory()
    theirs = delivered_order(items=[(tea, 1)], user=someone)
    client.force_login(someone)
    assert client.get(reverse("aftersales:case_detail", args=[case.number])).status_code == 404
    assert client.get(reverse("aftersales:photo", args=[case.number, photo.pk])).status_code == 404
    assert client.get(_request_url(order)).status_code == 404
    for name in ("send_back", "withdraw"):
        assert client.post(reverse(f"aftersales:{name}", args=[case.number])).status_code == 404
    case.refresh_from_db()
    assert case.status == "requested"
    listing = client.get(reverse("aftersales:case_list")).content.decode()
    assert case.number not in listing
    mine = ask(theirs)
    assert mine.number in client.get(reverse("aftersales:case_list")).content.decode()


def test_photos_are_private_and_never_cached(client, order, settings):
    case = ask(order, reason=Reason.DAMAGED)
    photo = case.photos.get()
    url = reverse("aftersales:photo", args=[case.number, photo.pk])
    # Anonymous: sign in first.
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # Never under the public /media/ route.
    assert client.get(f"{settings.MEDIA_URL}{photo.image.name}").status_code == 404
    # The shopper, and staff who may view cases.
    for user in (order.user, agent(), operator()):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # Staff without the permission: forbidden; a photo of another case: not found.
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    bare_staff = UserFactory()
    bare_staff.is_staff = True
    bare_staff.save()
    client.force_login(bare_staff)
    assert client.get(url).status_code == 403
    other = ask(delivered_order(items=[(listed_sku(), 1)]), reason=Reason.DAMAGED)
    client.force_login(order.user)
    wrong = reverse("aftersales:photo", args=[other.number, photo.pk])
    assert client.get(wrong).status_code == 404


def small_and_large_cases(shopper, tea, kettle):
    """Two refunded cases of ``shopper``: a refund without return of one line with one
    photo (three steps on its timeline), and a return of three lines with three photos
    taken through inspection (five steps)."""
    cup = listed_sku(price="20.00", stock=10, name="茶杯")
    small = ask(
        delivered_order(items=[(tea, 1)], user=shopper),
        kind=Kind.REFUND,
        reason=Reason.DAMAGED,
        photos=[jpeg()],
    )
    approved(small)  # refunded on approval: nothing comes back
    large = ask(
        delivered_order(items=[(tea, 2), (kettle, 1), (cup, 1)], user=shopper),
        kind=Kind.RETURN,
        reason=Reason.DAMAGED,
        photos=[jpeg("a.jpg"), jpeg("b.jpg"), jpeg("c.jpg")],
    )
    inspected(sent_back(approved(large)))
    for case in (small, large):
        case.refresh_from_db()
    assert small.status == large.status == AfterSalesCase.Status.REFUNDED
    assert (small.lines.count(), large.lines.count()) == (1, 3)
    assert (small.photos.count(), large.photos.count()) == (1, 3)
    assert (small.timeline.count(), large.timeline.count()) == (3, 5)
    return small, large


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_run_a_fixed_number_of_queries(client, tea, django_assert_max_num_queries):
    shopper = UserFactory()
    kettle = listed_sku(price="199.00", stock=10, name="铁壶")
    for _ in range(4):
        order = delivered_order(items=[(tea, 2), (kettle, 1)], user=shopper)
        case = ask(order, kind=Kind.REFUND, reason=Reason.DAMAGED, photos=[jpeg(), jpeg()])
        approved(case)
    client.force_login(shopper)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("aftersales:case_list")).status_code == 200
    with django_assert_max_num_queries(10):
        page = client.get(reverse("aftersales:case_detail", args=[case.number]))
    assert page.status_code == 200 and "refund-total" in page.content.decode()
    with django_assert_max_num_queries(10):
        assert client.get(_request_url(order)).status_code == 200


def test_the_case_page_runs_the_same_queries_for_one_line_or_many(
    client, tea, django_assert_max_num_queries
):
    shopper = UserFactory()
    small, large = small_and_large_cases(shopper, tea, listed_sku(price="199.00", name="铁壶"))
    client.force_login(shopper)
    url = {case: reverse("aftersales:case_detail", args=[case.number]) for case in (small, large)}
    with django_assert_max_num_queries(10):
        body = client.get(url[large]).content.decode()
    assert body.count("fit to sell again") == 3 and "铁壶" in body and "茶杯" in body
    assert len(set(re.findall(r"/photos/(\d+)/", body))) == 3
    assert body.count("<time") == 5 and "refund-total" in body
    assert queries(client, url[small]) == queries(client, url[large])


def test_the_request_form_runs_the_same_queries_for_one_line_or_many(
    client, tea, django_assert_max_num_queries
):
    shopper = UserFactory()
    small = delivered_order(items=[(tea, 1)], user=shopper)
    others = [listed_sku(price="20.00", stock=10, name=f"茶具{n}") for n in range(3)]
    large = delivered_order(items=[(tea, 2)] + [(sku, 1) for sku in others], user=shopper)
    ask(large, units={large.lines.order_by("pk").first(): 1})  # some units claimed already
    client.force_login(shopper)
    with django_assert_max_num_queries(10):
        body = client.get(_request_url(large)).content.decode()
    assert all(f'name="line_{line.pk}"' in body for line in large.lines.all())
    assert queries(client, _request_url(small)) == queries(client, _request_url(large))
