"""Stock reconciliation: drift between stock rows, their ledger and their reservations is
found with its figures, recorded once, never "fixed", and explained by a person."""

import datetime
import logging

import pytest
from celery.schedules import crontab
from django.db import OperationalError, connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import tasks
from catalog.exceptions import CatalogError
from catalog.models import Reservation, Stock, StockDiscrepancy, StockMovement
from catalog.services import inventory
from tests.catalog.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

KIND = StockDiscrepancy.Kind


@pytest.fixture
def stock(operator):
    sku = SKUFactory()
    stock = inventory.receive_stock(
        sku=sku, warehouse=WarehouseFactory(code="east"), quantity=10, actor=operator
    )
    inventory.reserve(sku=sku, quantity=3, reference="ORDER-1")
    stock.refresh_from_db()
    return stock


def _raw(sql, *params):
    """Change a stock row behind the services' back, as a hand-edit or a bug would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _open():
    return {
        (d.stock_id, d.kind): (d.expected, d.actual)
        for d in StockDiscrepancy.objects.filter(resolved_at__isnull=True)
    }


def test_clean_stock_gives_no_discrepancy(operator):
    sku = SKUFactory()
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    inventory.receive_stock(sku=sku, warehouse=east, quantity=8, actor=operator)
    [kept] = inventory.reserve(sku=sku, quantity=2)
    inventory.transfer_stock(sku=sku, source=east, destination=west, quantity=3, actor=operator)
    inventory.consume(reservation=kept)
    inventory.return_to_stock(sku=sku, warehouse=west, quantity=1, actor=operator, reference="R")
    result = inventory.reconcile_stock()
    assert result == {"released": 0, "checked": 2, "new": 0, "open": 0}
    assert not StockDiscrepancy.objects.exists()


def test_a_hand_edited_on_hand_is_recorded_not_fixed_and_not_repeated(stock, caplog):
    _raw("UPDATE catalog_stock SET on_hand = on_hand + 5 WHERE id = %s", stock.pk)
    with caplog.at_level(logging.WARNING, logger="catalog.inventory"):
        first = inventory.reconcile_stock()
    assert first == {"released": 0, "checked": 1, "new": 1, "open": 1}
    assert _open() == {(stock.pk, KIND.ON_HAND): (10, 15)}
    finding = StockDiscrepancy.objects.get()
    assert finding.difference == 5
    assert Stock.objects.get(pk=stock.pk).on_hand == 15  # left as found
    [record] = [r for r in caplog.records if r.name == "catalog.inventory"]
    assert record.levelno == logging.WARNING
    assert (record.stock, record.kind, record.expected, record.actual) == (
        stock.pk,
        "on_hand",
        10,
        15,
    )
    assert "15" in record.getMessage() and "10" in record.getMessage()

    second = inventory.reconcile_stock()
    assert second == {"released": 0, "checked": 1, "new": 0, "open": 1}
    assert StockDiscrepancy.objects.count() == 1
    again = StockDiscrepancy.objects.get()
    assert again.detected_at == finding.detected_at
    assert again.last_seen_at > finding.last_seen_at

    # The figures move on: the open finding follows them.
    _raw("UPDATE catalog_stock SET on_hand = on_hand - 7 WHERE id = %s", stock.pk)
    inventory.reconcile_stock()
    assert _open() == {(stock.pk, KIND.ON_HAND): (10, 8)}
    assert StockDiscrepancy.objects.count() == 1


def test_a_hand_edited_reserved_disagrees_with_ledger_and_reservations(stock):
    _raw("UPDATE catalog_stock SET reserved = reserved + 2 WHERE id = %s", stock.pk)
    result = inventory.reconcile_stock()
    assert result["new"] == 2
    assert _open() == {
        (stock.pk, KIND.RESERVED_LEDGER): (3, 5),
        (stock.pk, KIND.RESERVATIONS): (3, 5),
    }
    assert Stock.objects.get(pk=stock.pk).reserved == 5


def test_a_reservation_written_by_hand_is_found(stock):
    Reservation.objects.create(stock=stock, quantity=2, reference="written by hand")
    inventory.reconcile_stock()
    # The ledger still agrees with the row; the open reservations do not.
    assert _open() == {(stock.pk, KIND.RESERVATIONS): (5, 3)}


def test_the_run_releases_expired_reservations_first(operator):
    sku = SKUFactory()
    stock = inventory.receive_stock(
        sku=sku, warehouse=WarehouseFactory(code="east"), quantity=4, actor=operator
    )
    inventory.reserve(sku=sku, quantity=3, ttl=datetime.timedelta(minutes=30))
    later = timezone.now() + datetime.timedelta(hours=1)
    assert inventory.reconcile_stock(now=later) == {
        "released": 1,
        "checked": 1,
        "new": 0,
        "open": 0,
    }
    stock.refresh_from_db()
    assert stock.reserved == 0
    assert Reservation.objects.get().status == "expired"


def test_resolving_needs_an_explanation_and_keeps_the_row(stock, operator):
    _raw("UPDATE catalog_stock SET on_hand = on_hand - 1 WHERE id = %s", stock.pk)
    inventory.reconcile_stock()
    finding = StockDiscrepancy.objects.get()
    for blank in ("", "   "):
        with pytest.raises(CatalogError, match="Explain"):
            inventory.resolve_discrepancy(discrepancy=finding, actor=operator, resolution=blank)
    finding.refresh_from_db()
    assert finding.resolved_at is None

    done = inventory.resolve_discrepancy(
        discrepancy=finding, actor=operator, resolution=" 手工改库存，已核实实物 9 件 "
    )
    assert (done.resolved_by, done.resolution) == (operator, "手工改库存，已核实实物 9 件")
    assert done.resolved_at is not None
    with pytest.raises(CatalogError, match="already resolved"):
        inventory.resolve_discrepancy(discrepancy=finding, actor=operator, resolution="again")
    assert Stock.objects.get(pk=stock.pk).on_hand == 9  # resolving changes no stock

    # The explained difference is not reported again, however the stock moves on ...
    inventory.receive_stock(sku=stock.sku, warehouse=stock.warehouse, quantity=4, actor=operator)
    assert inventory.reconcile_stock()["new"] == 0
    assert StockDiscrepancy.objects.count() == 1
    # ... but a different one is a new finding; the resolved row stays as it was.
    _raw("UPDATE catalog_stock SET on_hand = on_hand - 2 WHERE id = %s", stock.pk)
    assert inventory.reconcile_stock()["new"] == 1
    assert _open() == {(stock.pk, KIND.ON_HAND): (14, 11)}
    assert StockDiscrepancy.objects.filter(resolved_at__isnull=False).get().actual == 9


def _drifting_rows(count, operator):
    sku = SKUFactory()
    for n in range(count):
        warehouse = WarehouseFactory(code=f"wh-q{count}-{n}")
        stock = inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=5, actor=operator)
        # Each row drifts in all three ways, so every kind of write happens per row.
        _raw("UPDATE catalog_stock SET on_hand = 9, reserved = 1 WHERE id = %s", stock.pk)


def _queries_of_a_run():
    with CaptureQueriesContext(connection) as captured:
        inventory.reconcile_stock()
    return len(captured.captured_queries)


def test_booking_the_difference_makes_the_ledger_add_up_without_moving_stock(stock, operator):
    _raw(
        "UPDATE catalog_stock SET on_hand = on_hand + 4, reserved = reserved + 1 WHERE id = %s",
        stock.pk,
    )
    inventory.reconcile_stock()
    on_hand = StockDiscrepancy.objects.get(kind=KIND.ON_HAND)
    reserved = StockDiscrepancy.objects.get(kind=KIND.RESERVED_LEDGER)
    by_hand = StockDiscrepancy.objects.get(kind=KIND.RESERVATIONS)

    inventory.resolve_discrepancy(
        discrepancy=on_hand,
        actor=operator,
        resolution="盘点确认多 4 件，入库漏记",
        book_difference=True,
    )
    inventory.resolve_discrepancy(
        discrepancy=reserved, actor=operator, resolution="预留漏记流水", book_difference=True
    )
    with pytest.raises(CatalogError, match="Only a ledger difference"):
        inventory.resolve_discrepancy(
            discrepancy=by_hand, actor=operator, resolution="x", book_difference=True
        )
    by_hand.refresh_from_db()
    assert by_hand.resolved_at is None  # the refusal rolled the resolution back

    row = Stock.objects.get(pk=stock.pk)
    assert (row.on_hand, row.reserved) == (14, 4)  # the stock row stays as it was
    sums = StockMovement.objects.filter(stock=row).aggregate(
        q=Sum("quantity"), r=Sum("reserved_change")
    )
    assert (sums["q"], sums["r"]) == (14, 4)
    booked = StockMovement.objects.get(reference=f"discrepancy {on_hand.pk}")
    assert (booked.kind, booked.quantity, booked.actor) == ("adjustment", 4, operator)
    assert booked.reason == "盘点确认多 4 件，入库漏记"
    assert _open() == {(stock.pk, KIND.RESERVATIONS): (3, 4)}
    with pytest.raises(CatalogError):
        inventory.resolve_discrepancy(
            discrepancy=on_hand, actor=operator, resolution="again", book_difference=True
        )


def test_the_number_of_queries_does_not_grow_with_the_stock(
    operator, django_assert_max_num_queries
):
    _drifting_rows(3, operator)
    with django_assert_max_num_queries(11):
        first_few = inventory.reconcile_stock()
    few_again = _queries_of_a_run()  # now updating the open findings
    _drifting_rows(27, operator)
    with django_assert_max_num_queries(11):
        first_many = inventory.reconcile_stock()
    many_again = _queries_of_a_run()
    assert (first_few["checked"], first_few["new"]) == (3, 9)
    assert (first_many["checked"], first_many["new"], first_many["open"]) == (30, 81, 90)
    assert few_again == many_again


# --- The scheduled job -------------------------------------------------------------------------


def test_beat_reconciles_hourly_and_still_releases_expired_reservations(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["catalog.tasks.reconcile_stock"] == crontab(minute=15)
    assert schedule["catalog.tasks.release_expired_reservations"] == 300


def test_the_task_is_late_acked_and_retried_on_a_lost_database():
    task = tasks.reconcile_stock
    assert task.acks_late is True
    assert task.autoretry_for == (OperationalError,)
    assert task.max_retries == 5


def test_a_worker_runs_the_reconciliation_twice_without_duplicates(worker, transactional_db):
    sku = SKUFactory()
    stock = inventory.receive_stock(
        sku=sku, warehouse=WarehouseFactory(code="east"), quantity=6, actor=None
    )
    inventory.reserve(sku=sku, quantity=1, ttl=datetime.timedelta(seconds=1))
    Reservation.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    _raw("UPDATE catalog_stock SET on_hand = 4 WHERE id = %s", stock.pk)
    first = worker.run(tasks.reconcile_stock)
    second = worker.run(tasks.reconcile_stock)
    assert first == {"released": 1, "checked": 1, "new": 1, "open": 1}
    assert second == {"released": 0, "checked": 1, "new": 0, "open": 1}
    assert _open() == {(stock.pk, KIND.ON_HAND): (6, 4)}
    assert Stock.objects.get(pk=stock.pk).on_hand == 4
