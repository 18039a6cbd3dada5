"""The feedback report: reviews and complaints per product or supplier and month or
quarter, the complaint categories overall and per supplier, on known figures; a fixed
number of queries; a CSV download; only readers of reviews and tickets get it."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from analytics.selectors.feedback import feedback_report
from catalog.models import ProductReview
from catalog.services import product_reviews as reviews
from customers.support.models import Ticket
from tests.catalog.factories import SupplierFactory, make_listed_product, tea_categories
from tests.customers.factories import UserFactory
from tests.orders.factories import place

pytestmark = pytest.mark.django_db

URL = "/admin/analytics/feedback-report/"
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
_line_ids = iter(range(500_000, 600_000))


def at(year, month, day) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, 12, 0))


def rate(product, rating, when, *, hidden=False):
    made = reviews.submit_review(
        user=UserFactory(), order_line_id=next(_line_ids), sku=product.skus.get(), rating=rating
    )
    if hidden:
        reviews.hide_review(review=made, actor=UserFactory(), reason="广告")
    ProductReview.objects.filter(pk=made.pk).update(created_at=when)


def complain(when, *, category="quality", product=None, order=None, type="complaint"):
    shopper = order.user if order else UserFactory()
    return Ticket.objects.create(
        number=f"T{Ticket.objects.count() + 1:04d}",
        type=type,
        category=category,
        subject="投诉",
        shopper=shopper,
        product=product,
        order=order,
        created_at=when,
        first_response_due=when,
        resolution_due=when,
    )


@pytest.fixture
def shop(db):
    """Supplier A sells 龙井 and 碧螺春, supplier B sells 茶杯; reviews and complaints in
    February and March 2026, and some that the report must leave out."""
    category = tea_categories()
    a = SupplierFactory(name="甲茶业")
    b = SupplierFactory(name="乙器具")
    longjing = make_listed_product(name="龙井", category=category, supplier=a, stock=20)
    biluochun = make_listed_product(name="碧螺春", category=category, supplier=a, stock=20)
    cup = make_listed_product(name="茶杯", category=category, supplier=b, stock=20)

    rate(longjing, 5, at(2026, 2, 3))
    rate(longjing, 1, at(2026, 2, 20))
    rate(longjing, 4, at(2026, 3, 5))
    rate(biluochun, 2, at(2026, 2, 10))
    rate(cup, 5, at(2026, 3, 1))
    rate(cup, 5, at(2026, 3, 2), hidden=True)  # hidden: its rating still counts
    rate(longjing, 1, at(2025, 12, 31))  # before the period

    order = place(items=[(longjing.skus.get(), 1), (cup.skus.get(), 1)])
    complain(at(2026, 2, 14), category="quality", product=longjing)
    complain(at(2026, 3, 9), category="delivery", order=order)  # about both products
    complain(at(2026, 4, 1), category="service")  # about nothing in particular
    complain(at(2026, 2, 1), category="price", product=longjing, type="consultation")
    complain(at(2026, 7, 1), category="quality", product=cup)  # after the period
    return {"longjing": longjing, "biluochun": biluochun, "cup": cup, "a": a, "b": b}


def figures(report):
    return [
        (row.label, row.period_label, row.reviews, row.average, row.low_share, row.complaints)
        for row in report.rows
    ]


def test_by_product_and_month(shop):
    report = feedback_report(by="product", bucket="month", start=START, end=END)
    assert figures(report) == [
        ("龙井", "2026-02", 2, Decimal("3.00"), Decimal("50.0"), 1),
        ("龙井", "2026-03", 1, Decimal("4.00"), Decimal("0.0"), 1),
        ("茶杯", "2026-03", 2, Decimal("5.00"), Decimal("0.0"), 1),
        ("碧螺春", "2026-02", 1, Decimal("2.00"), Decimal("100.0"), 0),
    ]
    assert [row.supplier for row in report.rows] == ["甲茶业", "甲茶业", "乙器具", "甲茶业"]
    assert report.totals == {
        "reviews": 6,
        "average": Decimal("3.67"),
        "low_share": Decimal("33.3"),
        "complaints": 3,
    }
    assert [(value, count) for value, _label, count in report.categories] == [
        ("delivery", 1),
        ("quality", 1),
        ("service", 1),
    ]


def test_by_supplier_and_quarter(shop):
    report = feedback_report(by="supplier", bucket="quarter", start=START, end=END)
    assert figures(report) == [
        ("甲茶业", "2026 Q1", 4, Decimal("3.00"), Decimal("50.0"), 2),
        ("乙器具", "2026 Q1", 2, Decimal("5.00"), Decimal("0.0"), 1),
    ]
    assert [(row.label, row.total, row.counts) for row in report.supplier_categories] == [
        ("甲茶业", 2, {"quality": 1, "delivery": 1}),
        ("乙器具", 1, {"delivery": 1}),
    ]


def test_a_period_without_feedback_is_empty(shop):
    report = feedback_report(
        by="product", bucket="month", start=datetime.date(2024, 1, 1), end=datetime.date(2024, 2, 1)
    )
    assert (report.rows, report.categories, report.supplier_categories) == ([], [], [])
    assert report.totals["average"] is None


@pytest.mark.parametrize("by", ["product", "supplier"])
def test_the_report_runs_a_fixed_number_of_queries(shop, by, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        small = feedback_report(by=by, bucket="month", start=START, end=END)
    category = shop["longjing"].category
    for n in range(8):
        product = make_listed_product(
            name=f"新茶{n}", category=category, supplier=SupplierFactory()
        )
        rate(product, 1 + n % 5, at(2026, 1 + n % 6, 10))
        complain(at(2026, 1 + n % 6, 11), category="quality", product=product)
    with django_assert_max_num_queries(6):
        large = feedback_report(by=by, bucket="month", start=START, end=END)
    assert len(large.rows) > len(small.rows)


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "analyst"])
def test_operators_and_analysts_read_the_report_and_download_it(client, shop, role):
    client.force_login(UserFactory(roles=[role]))
    params = {"by": "product", "bucket": "month", "start": "2026-01-01", "end": "2026-06-30"}
    page = client.get(URL, params)
    assert page.status_code == 200
    table = page.text.split('id="result_list"')[1].split("</table>")[0]
    assert table.index("龙井") < table.index("茶杯") < table.index("碧螺春")
    assert "50.0" in table and "3.00" in table
    assert 'id="categories-overall"' in page.text
    assert "Feedback report" in client.get("/admin/").text

    download = client.get(URL, {**params, "format": "csv"})
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "product",
        "supplier",
        "period",
        "reviews",
        "average rating",
        "1–2 star reviews (%)",
        "complaints",
    ]
    assert rows[1] == ["龙井", "甲茶业", "2026-02", "2", "3.00", "50.0", "1"]
    assert len(rows) == 5

    categories = client.get(URL, {**params, "format": "csv", "table": "categories"})
    lines = list(csv.reader(io.StringIO(categories.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["supplier", "complaints", "Product quality"]
    assert lines[1][:3] == ["甲茶业", "2", "1"]


def test_the_page_opens_with_the_last_six_months_and_refuses_bad_periods(client, shop):
    client.force_login(UserFactory(roles=["operator"]))
    assert client.get(URL).status_code == 200
    for bad in (
        {"by": "product", "bucket": "month", "start": "2026-05-01", "end": "2026-01-01"},
        {"by": "product", "bucket": "month", "start": "2020-01-01", "end": "2026-01-01"},
        {"by": "nothing", "bucket": "year", "start": "x", "end": ""},
    ):
        response = client.get(URL, bad)
        assert response.status_code == 200
        assert "errornote" in response.text or "errorlist" in response.text


@pytest.mark.parametrize("role", ["warehouse"])
def test_others_get_no_report(client, shop, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(URL).status_code == 403
    assert "Feedback report" not in client.get("/admin/").text


def test_reading_reviews_alone_is_not_enough(client, shop):
    user = UserFactory(roles=["warehouse"])
    user.user_permissions.add(Permission.objects.get(codename="view_productreview"))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert "Feedback report" not in client.get("/admin/").text  # no link to a refusal
    user.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(user)
    assert client.get(URL).status_code == 200
    assert "Feedback report" in client.get("/admin/").text


def test_support_staff_stay_out_of_the_admin(client, shop):
    client.force_login(UserFactory(roles=["support_supervisor"]))
    assert client.get(URL).status_code == 302
