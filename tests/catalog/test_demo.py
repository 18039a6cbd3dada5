"""The demo catalog: complete, obedient to the shop's own rules, and idempotent; the bulk
option adds listed goods that keep every database rule and the stock ledger. The demo
orders are made on it (they need its goods), so they are checked here too.

Seeding the demo takes a while (a few hundred goods through the services), so it is done
once for the module, inside a transaction that is rolled back at the end; each test runs
in a savepoint within it, as usual.
"""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Max
from django.test import override_settings
from django.utils import timezone

from catalog import tasks
from catalog.models import (
    SKU,
    Category,
    CategoryAttribute,
    PriceChange,
    Product,
    ProductImage,
    ProductStatusChange,
    ProhibitedWord,
    QualificationDocument,
    SkuPrice,
    SpotCheck,
    Stock,
    StockMovement,
    Supplier,
    SupplierStatusChange,
    Warehouse,
)
from catalog.services.admission import prohibited_words_in, submission_problems
from catalog.services.listing import build_search_text
from customers.models import User
from mall.validators import validate_credit_code
from marketing.models import FlashSale
from ops.demo import accounts as customers_demo
from ops.demo import catalog as demo
from ops.demo import orders as orders_demo
from orders.models import Order, Payment
from tests.clocks import MID_MONTH

pytestmark = pytest.mark.django_db

MODELS = (
    Category,
    CategoryAttribute,
    Supplier,
    SupplierStatusChange,
    QualificationDocument,
    ProhibitedWord,
    Warehouse,
    Product,
    ProductStatusChange,
    ProductImage,
    SKU,
    SkuPrice,
    PriceChange,
    Stock,
    StockMovement,
    SpotCheck,
    User,
)

LEDGER_DRIFT = """
    SELECT s.id FROM catalog_stock s
    LEFT JOIN catalog_stockmovement m ON m.stock_id = s.id
    GROUP BY s.id, s.on_hand
    HAVING s.on_hand <> COALESCE(SUM(m.quantity), 0)
"""


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, _media_root):
    """The demo catalog, seeded once for the module and rolled back afterwards. Its files
    go where every test's files go (``_media_root``, see tests/conftest.py)."""
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # demo users' passwords
    # The demo is dated from the moment it is seeded (a document expiring in so many days,
    # an order shipped four days ago) and the tests compare it with their own today: the
    # module runs from a fixed moment, so a run across midnight cannot tell them apart.
    with (
        time_machine.travel(MID_MONTH),
        override_settings(MEDIA_ROOT=str(_media_root), PASSWORD_HASHERS=fast_hashing),
        django_db_blocker.unblock(),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            customers_demo.seed()
            demo.seed()
            orders_demo.seed()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seeding_again_adds_and_changes_nothing(seeded):
    before = counts()
    last_change = Product.objects.aggregate(Max("updated_at"), Max("status_changed_at"))
    suppliers = list(Supplier.objects.values_list("pk", "status", "status_changed_at"))

    demo.seed()

    assert counts() == before
    assert Product.objects.aggregate(Max("updated_at"), Max("status_changed_at")) == last_change
    assert list(Supplier.objects.values_list("pk", "status", "status_changed_at")) == suppliers


def test_the_tree_has_a_dozen_departments_with_their_rules(seeded):
    roots = Category.objects.filter(parent=None)
    assert roots.count() >= 12
    children = {
        root.name: set(root.children.values_list("name", flat=True))
        for root in roots.filter(name__in=["食品饮料", "数码电器", "服饰"])
    }
    assert children == {
        "食品饮料": {"茶叶", "零食", "粮油"},
        "数码电器": {"手机", "耳机", "小家电"},
        "服饰": {"男装", "女装", "运动鞋"},
    }
    food = Category.objects.get(name="食品饮料")
    assert food.required_documents == ["food_permit"]
    assert set(food.required_info) >= {"ingredients", "shelf_life", "storage"}
    digital = Category.objects.get(name="数码电器")
    assert digital.required_documents == ["ccc"]
    assert set(digital.required_info) >= {"model", "power", "warranty"}
    assert Category.objects.get(name="美妆个护").required_documents == ["cosmetics_filing"]
    filterable = CategoryAttribute.objects.filter(filterable=True, kind="choice")
    assert {"颜色", "容量", "品类"} <= set(filterable.values_list("name", flat=True))
    assert CategoryAttribute.objects.filter(code="brand", required=True).exists()


def test_fresh_goods_have_no_no_reason_return(seeded):
    fresh = Product.objects.filter(category__parent__slug="fresh")
    assert fresh.exists()
    assert not fresh.filter(no_reason_return=True).exists()
    assert "不支持7天无理由退货" in fresh.first().after_sales_terms
    assert not Product.objects.exclude(category__parent__slug="fresh").filter(
        no_reason_return=False
    )


def test_suppliers_are_qualified_and_one_document_expires_soon(seeded):
    approved = Supplier.objects.filter(status=Supplier.Status.APPROVED)
    assert 5 <= approved.count() <= 6
    assert Supplier.objects.filter(status=Supplier.Status.UNDER_REVIEW).count() == 1
    for supplier in Supplier.objects.all():
        validate_credit_code(supplier.credit_code)
    today = timezone.localdate()
    soon = QualificationDocument.objects.filter(
        valid_to=today + datetime.timedelta(days=demo.EXPIRING_IN_DAYS)
    )
    assert soon.count() == 1
    assert soon.get().supplier.status == Supplier.Status.APPROVED
    assert not QualificationDocument.objects.filter(valid_to__lt=today).exists()
    for document in QualificationDocument.objects.all():
        with document.scan.open("rb") as scan:
            head = scan.read()
        assert head.startswith(b"%PDF-") and b"%%EOF" in head[-32:]


def test_the_daily_job_warns_about_the_expiring_document(seeded):
    assert tasks.check_qualification_expiry() == {"warned": 1, "suspended": 0}
    assert [message.to for message in mail.outbox] == [[demo.OPERATOR_EMAIL]]


def test_a_few_hundred_listed_goods_and_a_review_queue(seeded):
    by_status = dict(Product.objects.values_list("status").annotate(n=Count("pk")))
    assert by_status["listed"] == demo.LISTED_GOODS
    assert by_status["submitted"] >= 5
    assert by_status["draft"] >= 3
    assert by_status["rejected"] >= 3
    assert by_status["delisted"] >= 3
    assert Product.objects.filter(status="listed", featured=True).count() >= 8
    assert not Product.objects.exclude(status="listed").filter(featured=True).exists()
    rejected = ProductStatusChange.objects.filter(transition="reject")
    assert all(change.reason for change in rejected)
    words = set(ProhibitedWord.objects.values_list("word", flat=True))
    assert {"假货", "高仿", "枪支", "毒品", "走私"} <= words
    # Two drafts carry prohibited words: the operator sees the review refuse them.
    flagged = [p for p in Product.objects.filter(status="draft") if prohibited_words_in([p.name])]
    assert len(flagged) == 2
    assert SpotCheck.objects.filter(result="pending").exists()


def test_every_listed_demo_product_passes_the_review_rules(seeded):
    listed = Product.objects.filter(status="listed").select_related("supplier", "category")
    problems = {product.name: submission_problems(product) for product in listed}
    assert {name: found for name, found in problems.items() if found} == {}


def test_listed_goods_have_skus_prices_stock_and_pictures(seeded):
    listed = Product.objects.filter(status="listed")
    assert not listed.filter(skus=None).exists()
    assert not listed.filter(images=None).exists()
    sku_counts = set(listed.annotate(n=Count("skus")).values_list("n", flat=True))
    assert min(sku_counts) == 1
    assert max(sku_counts) <= 4
    assert len(sku_counts) > 1  # one to four variants, not always the same
    now = timezone.now()
    skus = SKU.objects.filter(product__in=listed)
    priced = SkuPrice.objects.filter(valid_from__lte=now, valid_to__isnull=True)
    assert skus.count() == priced.filter(sku__in=skus).count()
    assert not listed.filter(skus__position=0, skus__stocks=None).exists()
    assert Warehouse.objects.count() == 2
    names = list(listed.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    english = [name for name in names if any(c.isascii() and c.isalpha() for c in name)]
    assert 0 < len(english) < len(names) / 2  # some English brand words among the Chinese
    for image in ProductImage.objects.filter(product__in=listed[:5]):
        for field in (image.image, image.thumb_small, image.thumb_medium):
            with field.open("rb") as picture:
                assert picture.read(3) == b"\xff\xd8\xff"


def test_stock_ledger_sums_to_on_hand(seeded):
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_DRIFT)
        assert cursor.fetchall() == []


def test_catalog_size_adds_that_many_listed_goods_once(seeded):
    listed_before = Product.objects.filter(status="listed").count()

    call_command("seed_demo", "--catalog-size", "300", "--allow-production", verbosity=0)

    bulk = Product.objects.filter(skus__code__startswith=demo.BULK_SKU_PREFIX).distinct()
    assert bulk.count() == 300
    assert Product.objects.filter(status="listed").count() == listed_before + 300
    assert not bulk.exclude(status="listed").exists()
    assert not bulk.filter(images=None).exists()
    steps = ProductStatusChange.objects.filter(subject__in=bulk)
    assert steps.count() == 3 * 300
    assert set(steps.values_list("to_state", flat=True)) == {"submitted", "approved", "listed"}
    now = timezone.now()
    with connection.cursor() as cursor:
        # "Now" is the shop's clock (Python's), which set the prices: not PostgreSQL's
        # now(), which is another clock and, in this module's long transaction, stands
        # at the moment the transaction began.
        cursor.execute(
            """
            SELECT count(*) FROM catalog_sku k
            WHERE k.code LIKE %s AND (
                (SELECT count(*) FROM catalog_skuprice p
                 WHERE p.sku_id = k.id AND p.valid_from <= %s
                   AND (p.valid_to IS NULL OR p.valid_to > %s)) <> 1
                OR (SELECT count(*) FROM catalog_stock s WHERE s.sku_id = k.id) <> 2
                OR (SELECT coalesce(sum(s.on_hand), 0) FROM catalog_stock s
                    WHERE s.sku_id = k.id) <= 0
            )
            """,
            [demo.BULK_SKU_PREFIX + "%", now, now],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(LEDGER_DRIFT)
        assert cursor.fetchall() == []
    assert not bulk.filter(search_text="").exists()
    assert not bulk.filter(listed_at=None).exists()
    for product in bulk.order_by("?")[:25]:
        # jsonb keeps attributes in its own key order: compare the lines, not their order
        lines = sorted(build_search_text(product).split("\n"))
        assert sorted(product.search_text.split("\n")) == lines
        assert submission_problems(product) == []

    before = counts()
    call_command("seed_demo", "--catalog-size", "300", "--allow-production", verbosity=0)
    call_command("seed_demo", "--catalog-size", "120", "--allow-production", verbosity=0)
    assert counts() == before


def test_the_demo_shows_every_kind_of_price_change(seeded, client):
    statuses = dict(PriceChange.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses.get("pending") == 1 and statuses.get("scheduled") == 2
    honest = PriceChange.objects.filter(status="applied", reference_amount__isnull=False)
    assert honest.count() == 3
    page = client.get(f"/product/{honest.first().sku.product_id}/").content.decode()
    assert 'id="was-price"' in page
    announced = PriceChange.objects.filter(status="scheduled").first()
    assert (
        'id="price-notice"' in client.get(f"/product/{announced.sku.product_id}/").content.decode()
    )


def test_the_demo_orders_show_each_state_and_add_up(seeded):
    states = dict(Order.objects.values_list("idempotency_key", "status"))
    delivered = states.pop("demo-delivered")
    # Tracked by the sandbox carrier: delivered, unless its rates made it late or lost.
    assert delivered in ("delivered", "shipped")
    assert states == {
        "demo-paid": "paid",
        "demo-unpaid": "pending_payment",
        "demo-cancelled": "cancelled",
        "demo-review": "paid",
    }
    flagged = Order.objects.get(idempotency_key="demo-review")
    assert flagged.needs_review and flagged.reviewed_at is None
    assert Payment.objects.filter(status="succeeded").count() == 3
    if delivered == "delivered":
        case = Order.objects.get(idempotency_key="demo-delivered").after_sales_cases.get()
        assert case.status == "requested"
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_DRIFT)
        assert cursor.fetchall() == []
    now = timezone.now()
    assert FlashSale.objects.filter(starts_at__lte=now, ends_at__gt=now).count() == 1
    assert FlashSale.objects.filter(starts_at__gt=now).count() == 1

    before = (Order.objects.count(), Payment.objects.count(), FlashSale.objects.count())
    orders_demo.seed()
    assert (Order.objects.count(), Payment.objects.count(), FlashSale.objects.count()) == before
