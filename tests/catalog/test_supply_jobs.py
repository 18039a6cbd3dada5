"""The supply chain's scheduled jobs as services and on a real Celery worker: low-stock
alerts (once per fall), ABC classes and the daily cycle counts (a steady share, the most
overdue first, overdue rows listed), supplier re-reviews (task and reminder, then
suspension after the grace period) and the spot check of every new listing."""

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from catalog import tasks
from catalog.models import (
    SKU,
    LowStockAlert,
    ReReviewTask,
    SpotCheck,
    Stock,
    StockMovement,
    Stocktake,
    Supplier,
)
from catalog.services import admission, counting, inventory, low_stock
from tests.catalog.conftest import admit_and_list, make_ready_product, make_supplier
from tests.catalog.factories import StockFactory, WarehouseFactory, make_listed_product
from tests.customers.factories import UserFactory

TODAY = timezone.localdate


def _low_sku(warehouse, *, on_hand=5, safety=10):
    sku = make_listed_product(prices=("10.00",), stock=on_hand, warehouse=warehouse).skus.get()
    SKU.objects.filter(pk=sku.pk).update(safety_stock=safety)
    return sku


def _sell(sku, units):
    stock = Stock.objects.filter(sku=sku).first()
    inventory.book_movement(stock=stock, kind=StockMovement.Kind.SALE, quantity=-units, actor=None)


# --- Low stock -----------------------------------------------------------------------------------


def test_operators_hear_once_per_fall_below_the_reorder_point(db):
    operator = UserFactory(roles=["operator"], email="buyer@example.com")
    warehouse = WarehouseFactory(code="hz")
    low = _low_sku(warehouse)
    _fine = _low_sku(warehouse, on_hand=50)
    assert low_stock.raise_low_stock_alerts() == {"raised": 1, "cleared": 0}
    [alert] = LowStockAlert.objects.all()
    assert (alert.sku, alert.available, alert.reorder_point, alert.suggested) == (low, 5, 10, 5)
    [email] = mail.outbox
    assert email.to == [operator.email] and low.code in email.body
    _sell(low, 1)  # another sale while low: no news
    assert low_stock.raise_low_stock_alerts() == {"raised": 0, "cleared": 0}
    assert len(mail.outbox) == 1

    inventory.receive_stock(sku=low, warehouse=warehouse, quantity=20, actor=operator)
    assert low_stock.raise_low_stock_alerts() == {"raised": 0, "cleared": 1}
    _sell(low, 20)  # the next fall is news again
    assert low_stock.raise_low_stock_alerts() == {"raised": 1, "cleared": 0}
    assert LowStockAlert.objects.filter(cleared_at=None).count() == 1
    assert len(mail.outbox) == 2


# --- Counting --------------------------------------------------------------------------------


def test_abc_classes_follow_the_sales_value(db, settings):
    settings.MALL_ABC_SHARES = [80, 95]
    warehouse = WarehouseFactory(code="hz")
    skus = [
        make_listed_product(prices=("10.00",), stock=100, warehouse=warehouse).skus.get()
        for _ in range(4)
    ]
    for sku, units in zip(skus, (80, 15, 5, 0), strict=True):
        if units:
            _sell(sku, units)
    assert counting.classify_abc() == {"A": 1, "B": 1, "C": 2}
    assert [SKU.objects.get(pk=s.pk).abc_class for s in skus] == ["A", "B", "C", "C"]
    assert SKU.objects.get(pk=skus[0].pk).sales_value == 800
    assert counting.classify_abc() == {"A": 1, "B": 1, "C": 2}  # recomputed, the same


def _counting_shop(settings):
    """Two warehouses with 4 stock rows each, never counted; one SKU of class A."""
    settings.MALL_CYCLE_COUNT_DAYS = {"A": 2, "B": 5, "C": 10}
    north, south = WarehouseFactory(code="hz"), WarehouseFactory(code="gz")
    skus = [make_listed_product(stock=0).skus.get() for _ in range(4)]
    for sku in skus:
        StockFactory(sku=sku, warehouse=north, on_hand=3)
        StockFactory(sku=sku, warehouse=south, on_hand=3)
    SKU.objects.filter(pk=skus[-1].pk).update(abc_class="A")
    return north, south, skus


def test_each_warehouse_opens_its_steady_share_most_overdue_first(db, settings):
    north, south, skus = _counting_shop(settings)
    # Share a day: 3 rows / 10 days + 1 row / 2 days = 0.8 → 1 row.
    assert counting.daily_share(north) == 1
    overdue = list(counting.overdue_counts(today=TODAY()))
    assert len(overdue) == 8 and overdue[0].sku_id == skus[-1].pk  # class A is due first
    assert counting.schedule_cycle_counts(today=TODAY()) == {"opened": 2, "rows": 2, "busy": 0}
    for warehouse in (north, south):
        count = Stocktake.objects.get(warehouse=warehouse)
        assert count.scope == Stocktake.Scope.CYCLE
        assert [line.stock.sku_id for line in count.lines.select_related("stock")] == [skus[-1].pk]
    # A count in progress: the warehouse is skipped, nothing more is opened.
    assert counting.schedule_cycle_counts(today=TODAY()) == {"opened": 0, "rows": 0, "busy": 2}


def test_overdue_counts_page_lists_rows_in_bounded_queries(
    client, db, settings, django_assert_max_num_queries
):
    _counting_shop(settings)
    for _ in range(6):
        StockFactory(
            sku=make_listed_product(stock=0).skus.get(), warehouse=WarehouseFactory(code="hz")
        )
    client.force_login(UserFactory(roles=["operator"]))
    with django_assert_max_num_queries(8):
        page = client.get(reverse("admin:catalog_overdue_counts"))
    assert page.status_code == 200 and len(page.context["rows"]) == 14
    client.force_login(UserFactory(roles=["analyst"]))
    assert client.get(reverse("admin:catalog_overdue_counts")).status_code == 403


# --- Re-reviews -------------------------------------------------------------------------------


def _due_supplier(days):
    supplier = make_supplier(documents=("business_licence",))
    Supplier.objects.filter(pk=supplier.pk).update(
        next_review_due=TODAY() + datetime.timedelta(days=days)
    )
    supplier.refresh_from_db()
    return supplier


def test_a_re_review_falling_due_makes_a_task_with_a_reminder_then_suspends(db, settings):
    settings.MALL_REREVIEW_REMIND_DAYS = 14
    settings.MALL_REREVIEW_GRACE_DAYS = 30
    UserFactory(roles=["operator"], email="ops@example.com")
    due = _due_supplier(10)
    _later = _due_supplier(40)
    product = make_listed_product(supplier=due, stock=0)
    assert admission.follow_up_re_reviews(today=TODAY()) == {"tasks": 1, "suspended": 0}
    [task] = ReReviewTask.objects.all()
    assert (task.supplier, task.due_on) == (due, due.next_review_due)
    [reminder] = mail.outbox
    assert due.name in reminder.subject
    assert admission.follow_up_re_reviews(today=TODAY()) == {"tasks": 0, "suspended": 0}

    lapsed = due.next_review_due + datetime.timedelta(days=31)
    assert admission.follow_up_re_reviews(today=lapsed)["suspended"] == 1
    due.refresh_from_db()
    product.refresh_from_db()
    assert due.status == Supplier.Status.SUSPENDED and product.status == "delisted"
    assert "not recorded within 30 days" in due.history.latest("pk").reason
    assert admission.follow_up_re_reviews(today=lapsed)["suspended"] == 0


def test_recording_the_re_review_closes_the_task_and_nothing_is_suspended(db, settings):
    settings.MALL_REREVIEW_GRACE_DAYS = 30
    operator = UserFactory(roles=["operator"])
    due = _due_supplier(5)
    admission.follow_up_re_reviews(today=TODAY())
    admission.record_re_review(supplier=due, actor=operator, passed=True, notes="资质齐全")
    task = ReReviewTask.objects.get()
    assert task.done_by == operator and task.done_at
    far = TODAY() + datetime.timedelta(days=60)
    assert admission.follow_up_re_reviews(today=far)["suspended"] == 0
    due.refresh_from_db()
    assert due.status == Supplier.Status.APPROVED


# --- New listings -----------------------------------------------------------------------------


def test_a_new_listing_gets_one_spot_check_within_the_configured_days(db, settings, food):
    settings.MALL_NEW_LISTING_CHECK_DAYS = 7
    operator = UserFactory(roles=["operator"])
    supplier = make_supplier(categories=[food.parent])
    product = make_ready_product(supplier, food, operator)
    admit_and_list(product, operator)
    [check] = SpotCheck.objects.filter(product=product)
    assert check.kind == SpotCheck.Kind.NEW_LISTING
    assert check.due_on == TODAY() + datetime.timedelta(days=7)
    admission.delist_product(product=product, actor=operator, reason="换包装")
    admission.list_product(product=product, actor=operator)
    assert SpotCheck.objects.filter(product=product).count() == 1


# --- On the real worker ---------------------------------------------------------------------------


def test_the_worker_runs_the_supply_jobs_twice_without_doing_anything_twice(
    worker, transactional_db, settings
):
    settings.MALL_CYCLE_COUNT_DAYS = {"A": 2, "B": 5, "C": 10}
    UserFactory(roles=["operator"], email="ops@example.com")
    warehouse = WarehouseFactory(code="hz")
    _low_sku(warehouse)
    _due_supplier(3)
    today = TODAY().isoformat()

    assert worker.run(tasks.raise_low_stock_alerts) == {"raised": 1, "cleared": 0}
    assert worker.run(tasks.raise_low_stock_alerts) == {"raised": 0, "cleared": 0}
    assert worker.run(tasks.classify_abc) == {"A": 0, "B": 0, "C": 1}
    opened = worker.run(tasks.schedule_cycle_counts, today=today)
    again = worker.run(tasks.schedule_cycle_counts, today=today)
    assert opened == {"opened": 1, "rows": 1, "busy": 0}
    assert again == {"opened": 0, "rows": 0, "busy": 1}
    assert worker.run(tasks.follow_up_re_reviews, today=today) == {"tasks": 1, "suspended": 0}
    assert worker.run(tasks.follow_up_re_reviews, today=today) == {"tasks": 0, "suspended": 0}
    assert LowStockAlert.objects.count() == 1 and ReReviewTask.objects.count() == 1
    assert Stocktake.objects.count() == 1
