"""Stock reports and replenishment: figures against hand-computed values on small data,
SKUs without a cost or without sales, the replenishment formula, bounded queries,
who may see the pages, and the CSV downloads."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.selectors import stock as reports
from catalog.models import PurchaseReceipt, Stock, StockMovement, Supplier
from catalog.selectors import stock as restock
from catalog.services import inventory
from catalog.services.purchasing import book_purchase_receipt
from tests.catalog.factories import (
    CategoryFactory,
    StockFactory,
    SupplierFactory,
    WarehouseFactory,
    make_listed_product,
)
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now


def days_ago(n):
    return NOW() - datetime.timedelta(days=n)


@pytest.fixture(autouse=True)
def _clerk(db):
    CLERK.append(UserFactory(roles=["warehouse"]))
    yield
    CLERK.clear()


CLERK = []  # who books the receipts of a test


def receive(supplier, warehouse, lines, *, days):
    """A purchase receipt booked ``days`` ago (its movements dated then too)."""
    receipt = book_purchase_receipt(
        supplier=supplier, warehouse=warehouse, lines=lines, actor=CLERK[-1]
    )
    PurchaseReceipt.objects.filter(pk=receipt.pk).update(received_at=days_ago(days))
    StockMovement.objects.filter(reference=f"receipt {receipt.pk}").update(at=days_ago(days))
    return receipt


def sell(sku, warehouse, units, *, days, kind=StockMovement.Kind.SALE):
    """A shipped sale (or, with ``kind=RETURN``, a return) booked ``days`` ago."""
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    quantity = -units if kind == StockMovement.Kind.SALE else units
    movement = inventory.book_movement(stock=stock, kind=kind, quantity=quantity, actor=None)
    StockMovement.objects.filter(pk=movement.pk).update(at=days_ago(days))


def sku_of(category, *, supplier=None, safety_stock=0):
    product = make_listed_product(
        category=category, stock=0, **({"supplier": supplier} if supplier else {})
    )
    sku = product.skus.get()
    if safety_stock:
        sku.safety_stock = safety_stock
        sku.save(update_fields=["safety_stock"])
    return sku


@pytest.fixture
def shop():
    """The hand-computed scenario (see each test for the arithmetic):

    food > tea > green tea, digital > phones. Warehouses A, B (active) and C (inactive).
    - s1 (green tea): 100 in A at 4.00 and then 20 in B at 5.00 (latest cost 5.00), 100
      days ago; sold 14 (40 days ago) and 30 (10 days ago) in A, 2 returned (5 days ago);
      3 reserved now. On hand A 58, B 20.
    - s2 (phones): 50 in A at 10.00, 100 days ago, never sold.
    - s3 (tea): 7 in A received without a receipt (no cost), today.
    - s4 (digital): 8 in C at 2.00, 100 days ago; 1 sold 70 days ago; C then closed.
    """
    food = CategoryFactory(name="食品饮料", slug="food")
    tea = CategoryFactory(name="茶叶", slug="tea", parent=food)
    green = CategoryFactory(name="绿茶", slug="green-tea", parent=tea)
    digital = CategoryFactory(name="数码", slug="digital")
    phones = CategoryFactory(name="手机", slug="phones", parent=digital)
    a, b = WarehouseFactory(code="a"), WarehouseFactory(code="b")
    c = WarehouseFactory(code="c")
    s1, s2, s3, s4 = sku_of(green), sku_of(phones), sku_of(tea), sku_of(digital)
    receive(s1.product.supplier, a, [(s1, 100, "4.00")], days=100)
    receive(s1.product.supplier, b, [(s1, 20, "5.00")], days=100)
    receive(s2.product.supplier, a, [(s2, 50, "10.00")], days=100)
    receive(s4.product.supplier, c, [(s4, 8, "2.00")], days=100)
    StockFactory(sku=s3, warehouse=a, on_hand=7)
    sell(s1, a, 14, days=40)
    sell(s1, a, 30, days=10)
    sell(s1, a, 2, days=5, kind=StockMovement.Kind.RETURN)
    inventory.reserve(sku=s1, quantity=3, reference="ORDER-OPEN")
    sell(s4, c, 1, days=70)
    c.is_active = False
    c.save()
    return {
        "skus": (s1, s2, s3, s4),
        "warehouses": (a, b, c),
        "categories": (food, tea, green, digital, phones),
    }


# --- Stock value ------------------------------------------------------------------------------


def figures(row):
    keys = ("units", "value", "skus", "skus_without_cost", "units_without_cost")
    return tuple(row[key] for key in keys)


def test_stock_value_by_warehouse(shop):
    rows, totals = reports.stock_value_by_warehouse()
    by_code = {row["warehouse"].code: figures(row) for row in rows}
    assert by_code == {
        # s1 58 × 5.00 + s2 50 × 10.00; s3's 7 units have no cost and are not valued
        "a": (115, Decimal("790.00"), 3, 1, 7),
        "b": (20, Decimal("100.00"), 1, 0, 0),  # s1 20 × 5.00
        "c": (7, Decimal("14.00"), 1, 0, 0),  # inactive, still ours: 7 × 2.00
    }
    assert figures(totals) == (142, Decimal("904.00"), 4, 1, 7)


def test_stock_value_rolls_up_to_top_level_categories(shop):
    rows, totals = reports.stock_value_by_category()
    shown = [(row["category"].slug, row["top"], *figures(row)) for row in rows]
    assert shown == [
        ("digital", True, 57, Decimal("514.00"), 2, 0, 0),  # s2 500.00 + s4 14.00
        ("phones", False, 50, Decimal("500.00"), 1, 0, 0),
        ("digital", False, 7, Decimal("14.00"), 1, 0, 0),
        ("food", True, 85, Decimal("390.00"), 2, 1, 7),  # s1 78 × 5.00 + s3 (no cost)
        ("green-tea", False, 78, Decimal("390.00"), 1, 0, 0),
        ("tea", False, 7, Decimal("0.00"), 1, 1, 7),
    ]
    assert figures(totals) == (142, Decimal("904.00"), 4, 1, 7)

    a = shop["warehouses"][0]
    rows, totals = reports.stock_value_by_category(warehouse=a)
    assert [(row["category"].slug, row["units"]) for row in rows if row["top"]] == [
        ("digital", 50),
        ("food", 65),  # 58 + 7
    ]


def test_the_latest_receipt_sets_the_unit_cost(shop):
    s1, *_ = shop["skus"]
    a = shop["warehouses"][0]
    receive(s1.product.supplier, a, [(s1, 1, "6.00")], days=1)
    rows, _ = reports.stock_value_by_warehouse()
    values = {row["warehouse"].code: row["value"] for row in rows}
    # s1 now 59 in A and 20 in B, all at 6.00
    assert values == {"a": Decimal("854.00"), "b": Decimal("120.00"), "c": Decimal("14.00")}


# --- Turnover -----------------------------------------------------------------------------


def test_turnover_and_days_of_supply(shop):
    s1, s2, s3, s4 = shop["skus"]
    rows = {row.pk: row for row in reports.turnover(period_days=90)}
    keys = (
        "units_sold",
        "unit_cost",
        "cogs",
        "on_hand_start",
        "on_hand",
        "average_value",
        "turnover",
        "available",
        "days_of_supply",
    )

    def of(sku):
        return tuple(getattr(rows[sku.pk], key) for key in keys)

    # s1: sold 14 + 30 − 2 = 42; COGS 42 × 5 = 210; stock 78 now, 78 + 42 = 120 at the
    # start; average (120 + 78) / 2 = 99 units = 495.00; turnover 210 / 495 = 0.42;
    # available 78 − 3 reserved = 75; days of supply 75 / (42 / 90) = 160.7.
    assert of(s1) == (
        42,
        Decimal("5.00"),
        Decimal("210.00"),
        120,
        78,
        Decimal("495.00"),
        Decimal("0.42"),
        75,
        Decimal("160.7"),
    )
    # s2: nothing sold: turnover 0, no days of supply.
    assert of(s2) == (0, Decimal("10.00"), Decimal("0.00"), 50, 50, Decimal("500.00"),
                      Decimal("0.00"), 50, None)  # fmt: skip
    # s3: no cost: no COGS, no value, no turnover; received today, so 0 at the start.
    assert of(s3) == (0, None, None, 0, 7, None, None, 7, None)
    # s4: 1 sold; its warehouse is closed, so nothing is available: 0 days of supply.
    assert of(s4)[0] == 1 and of(s4)[-2:] == (0, Decimal("0.0"))
    assert list(rows) == [s1.pk, s4.pk, s2.pk, s3.pk]  # by COGS, no cost last

    totals = reports.turnover_totals(reports.turnover(period_days=90), period_days=90)
    assert totals["skus"] == 4 and totals["skus_without_cost"] == 1
    assert totals["units_sold"] == 43
    assert totals["cogs"] == Decimal("212.00")  # 210 + 1 × 2.00
    # s4: 8 at the start, 7 now: average 7.5 × 2.00 = 15.00
    assert totals["average_value"] == Decimal("1010.00")  # 495 + 500 + 15
    assert totals["turnover"] == Decimal("0.21")  # 212 / 1010
    assert totals["available"] == 132  # 75 + 50 + 7 + 0
    assert totals["days_of_supply"] == Decimal("276.3")  # 132 × 90 / 43


def test_turnover_of_one_warehouse_and_a_shorter_period(shop):
    s1, s2, s3, s4 = shop["skus"]
    a = shop["warehouses"][0]
    rows = {row.pk: row for row in reports.turnover(period_days=90, warehouse=a)}
    assert set(rows) == {s1.pk, s2.pk, s3.pk}
    one = rows[s1.pk]
    # A: 58 now, 100 at the start, average 79 × 5 = 395.00; 210 / 395 = 0.53; 55 free
    assert (one.on_hand_start, one.average_value, one.turnover) == (100, Decimal("395.00"),
                                                                    Decimal("0.53"))  # fmt: skip
    assert (one.available, one.days_of_supply) == (55, Decimal("117.9"))  # 55 × 90 / 42

    recent = {row.pk: row for row in reports.turnover(period_days=20)}
    # 30 − 2 sold in the last 20 days; 78 + 28 = 106 at the start
    assert (recent[s1.pk].units_sold, recent[s1.pk].on_hand_start) == (28, 106)
    assert recent[s4.pk].units_sold == 0 and recent[s4.pk].days_of_supply is None


# --- Slow movers ------------------------------------------------------------------------------


def test_slow_movers(shop):
    s1, s2, s3, s4 = shop["skus"]
    rows = list(reports.slow_movers(days=60))
    # s1 sold 10 days ago: not slow. s2 never sold (500.00), s4 last sold 70 days ago
    # (14.00), s3 never sold and without a cost comes last.
    assert [(row.pk, row.on_hand, row.stock_value) for row in rows] == [
        (s2.pk, 50, Decimal("500.00")),
        (s4.pk, 7, Decimal("14.00")),
        (s3.pk, 7, None),
    ]
    assert rows[0].last_sale is None
    assert rows[1].last_sale.date() == days_ago(70).date()
    totals = reports.slow_mover_totals(reports.slow_movers(days=60))
    assert totals == {"skus": 3, "units": 64, "value": Decimal("514.00"), "skus_without_cost": 1}

    within_80 = [row.pk for row in reports.slow_movers(days=80)]
    assert within_80 == [s2.pk, s3.pk]  # s4's sale 70 days ago counts now
    in_b = list(reports.slow_movers(days=5, warehouse=shop["warehouses"][1]))
    assert [(row.pk, row.on_hand) for row in in_b] == [(s1.pk, 20)]  # B never sold any


# --- Replenishment ----------------------------------------------------------------------------


@pytest.fixture
def demand():
    """s5: lead time 10, safety stock 3, 15 received, 10 sold 3 days ago, 5 left.
    s6: lead time 7, 56 received, 28 sold in the window, 8 sold 30 days ago (outside)."""
    category = CategoryFactory()
    slow_supplier = SupplierFactory(lead_time_days=10)
    a = WarehouseFactory(code="a")
    s5 = sku_of(category, supplier=slow_supplier, safety_stock=3)
    s6 = sku_of(category, supplier=SupplierFactory(lead_time_days=7))
    receive(slow_supplier, a, [(s5, 15, "1.00")], days=50)
    receive(s6.product.supplier, a, [(s6, 64, "1.00")], days=50)
    sell(s5, a, 10, days=3)
    sell(s6, a, 8, days=30)
    sell(s6, a, 20, days=20)
    sell(s6, a, 8, days=1)
    return s5, s6


def test_the_replenishment_formula(demand, settings):
    settings.MALL_REPLENISH_COVER_DAYS = 14
    s5, s6 = demand
    rows = {row.pk: row for row in restock.replenishment_list()}
    five, six = rows[s5.pk], rows[s6.pk]
    # s5: 10 sold in 28 days: 0.36 a day; reorder point ⌈10 × 10 / 28⌉ + 3 = ⌈3.57⌉ + 3 = 7;
    # 5 available ≤ 7: low; suggested ⌈7 + 10 × 14 / 28⌉ − 5 = 7 + 5 − 5 = 7;
    # days of supply 5 / (10 / 28) = 14.0.
    assert (five.sold, five.avg_daily, five.reorder_point, five.low) == (
        10,
        Decimal("0.36"),
        7,
        True,
    )
    assert (five.available, five.suggested, five.days_of_supply) == (5, 7, Decimal("14.0"))
    # s6: 28 sold in the window (the 8 sold 30 days ago are older): 1 a day; reorder point
    # 1 × 7 + 0 = 7; 28 available > 7: not low; suggested max(0, 7 + 14 − 28) = 0.
    assert (six.sold, six.reorder_point, six.low, six.available, six.suggested) == (
        28,
        7,
        False,
        28,
        0,
    )
    assert six.days_of_supply == Decimal("28.0")
    assert list(rows) == [s5.pk, s6.pk]  # 14 days of supply before 28

    settings.MALL_REPLENISH_COVER_DAYS = 30
    five = restock.replenishment_list().get(pk=s5.pk)
    assert five.suggested == 13  # 7 + ⌈10 × 30 / 28⌉ − 5 = 7 + 11 − 5


def test_low_only_and_what_is_left_out(demand):
    s5, s6 = demand
    assert [row.pk for row in restock.replenishment_list(low_only=True)] == [s5.pk]
    assert [row.pk for row in restock.replenishment_list(supplier=s6.product.supplier)] == [s6.pk]
    s6.is_active = False
    s6.save()
    delisted = make_listed_product(stock=0, status="delisted").skus.get()
    never_stocked = make_listed_product(stock=0).skus.get()
    rows = {row.pk: row for row in restock.replenishment_list()}
    assert s6.pk not in rows and delisted.pk not in rows
    # Out of stock with no sales: low (0 ≤ 0) but nothing to suggest; sorted last.
    out = rows[never_stocked.pk]
    assert (out.available, out.reorder_point, out.low, out.suggested) == (0, 0, True, 0)
    assert list(rows)[-1] == never_stocked.pk
    totals = restock.replenishment_totals(restock.replenishment_list())
    assert totals == {"skus": 2, "low": 2, "suggested": 7}


def test_returns_outweighing_sales_are_no_demand(demand):
    s5, _ = demand
    a = Stock.objects.get(sku=s5).warehouse
    sell(s5, a, 12, days=2, kind=StockMovement.Kind.RETURN)
    five = restock.replenishment_list().get(pk=s5.pk)
    assert (five.sold, five.reorder_point, five.days_of_supply) == (0, 3, None)


# --- The pages --------------------------------------------------------------------------------

REPORT_URLS = [
    "analytics_stock_stock_value_by_warehouse",
    "analytics_stock_stock_value_by_category",
    "analytics_stock_turnover",
    "analytics_stock_slow_movers",
    "analytics_stock_replenishment",
]


def login(client, role):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", ["analyst", "operator"])
def test_analysts_and_operators_see_the_reports_from_the_index(client, role, shop):
    login(client, role)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    for name in REPORT_URLS:
        assert reverse(f"admin:{name}").encode() in index.content
    assert client.get(reverse("admin:analytics_stock_reports")).status_code == 200
    for name in REPORT_URLS:
        response = client.get(reverse(f"admin:{name}"))
        assert response.status_code == 200, name
        assert b"result_list" in response.content


def test_warehouse_staff_get_403(client, shop):
    login(client, "warehouse")
    assert b"analytics/stock-reports/" not in client.get(reverse("admin:index")).content
    for name in ["analytics_stock_reports", *REPORT_URLS]:
        assert client.get(reverse(f"admin:{name}")).status_code == 403
        assert client.get(reverse(f"admin:{name}") + "?format=csv").status_code == 403


def test_the_turnover_page_shows_the_figures_and_filters(client, shop):
    login(client, "analyst")
    a = shop["warehouses"][0]
    url = reverse("admin:analytics_stock_turnover")
    page = client.get(url).content.decode()
    assert "160.7" in page and "210.00" in page and "no cost" in page
    assert "1 SKU has no purchase cost yet" in page
    filtered = client.get(url, {"filtered": 1, "days": 90, "warehouse": a.pk}).content.decode()
    assert "117.9" in filtered and "160.7" not in filtered
    bad = client.get(url, {"filtered": 1, "days": "0"})
    assert bad.status_code == 200 and bad.context["form"].errors  # falls back to defaults
    assert "160.7" in bad.content.decode()


def test_csv_downloads(client, shop):
    login(client, "analyst")
    _s1, s2, s3, s4 = shop["skus"]
    response = client.get(reverse("admin:analytics_stock_slow_movers"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="slow-movers.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["SKU", "product", "on hand", "unit cost", "stock value", "last sale"]
    assert [row[:5] for row in rows[1:]] == [
        [s2.code, s2.product.name, "50", "10.00", "500.00"],
        [s4.code, s4.product.name, "7", "2.00", "14.00"],
        [s3.code, s3.product.name, "7", "", ""],
    ]
    by_warehouse = client.get(
        reverse("admin:analytics_stock_stock_value_by_warehouse"), {"format": "csv"}
    )
    lines = list(csv.reader(io.StringIO(by_warehouse.content.decode("utf-8-sig"))))
    assert [line[1:3] for line in lines[1:]] == [
        ["115", "790.00"],
        ["20", "100.00"],
        ["7", "14.00"],
    ]


def test_replenishment_rows_link_to_a_prefilled_receipt(client, demand):
    s5, _s6 = demand
    login(client, "operator")
    a = Stock.objects.get(sku=s5).warehouse
    url = reverse("admin:analytics_stock_replenishment")
    response = client.get(url, {"filtered": 1, "low_only": "on", "warehouse": a.pk})
    links = [cell["link"] for row in response.context["rows"] for cell in row if cell["link"]]
    supplier = s5.product.supplier_id
    assert links == [
        reverse("admin:catalog_purchasereceipt_add")
        + f"?supplier={supplier}&lines={s5.pk}%3A7%3A1.00&warehouse={a.pk}"
    ]
    prefilled = client.get(links[0])
    assert prefilled.status_code == 200
    formset = prefilled.context["inline_admin_formsets"][0].formset
    # the suggested quantity, and the last cost paid as a suggestion
    assert formset.forms[0].initial == {"sku": s5.pk, "quantity": 7, "unit_cost": Decimal("1.00")}

    # Filtered to one supplier: one link drafts a purchase order of everything suggested
    # from it, one receives it all.
    response = client.get(url, {"filtered": 1, "supplier": supplier, "warehouse": a.pk})
    ((_draft, order), (_label, everything)) = response.context["extra_links"]
    assert everything == links[0]
    assert order == reverse("admin:catalog_purchaseorder_add") + (
        f"?supplier={supplier}&warehouse={a.pk}"
    )
    drafted = client.get(order)
    assert drafted.context["form"].initial == {"supplier": str(supplier), "warehouse": str(a.pk)}

    # Analysts read the report but do not receive goods: no links for them.
    login(client, "analyst")
    response = client.get(url)
    assert not [cell for row in response.context["rows"] for cell in row if cell["link"]]

    # A suspended supplier is not offered a receipt.
    login(client, "operator")
    Supplier.objects.filter(pk=supplier).update(status=Supplier.Status.SUSPENDED)
    response = client.get(url)
    assert not [cell for row in response.context["rows"] for cell in row if cell["link"]]


def _more_goods(n, warehouse):
    category = CategoryFactory()
    for _ in range(n):
        sku = sku_of(category)
        receive(sku.product.supplier, warehouse, [(sku, 30, "2.50")], days=30)
        sell(sku, warehouse, 3, days=2)


@pytest.mark.parametrize("name", REPORT_URLS)
def test_report_pages_run_a_fixed_number_of_queries(
    client, name, shop, django_assert_max_num_queries
):
    login(client, "operator")
    url = reverse(f"admin:{name}")
    supplier = shop["skus"][0].product.supplier
    params = {"filtered": 1, "days": 30, "supplier": supplier.pk}
    with django_assert_max_num_queries(14) as small:
        assert client.get(url, params).status_code == 200
    _more_goods(25, shop["warehouses"][0])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url, params).status_code == 200
    # The download is written to the audit trail: one insert more than the page.
    with django_assert_max_num_queries(len(small.captured_queries) + 1):
        assert client.get(url, {"format": "csv"}).status_code == 200
