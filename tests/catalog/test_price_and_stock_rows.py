"""The database guards for prices and stock that the pricing and inventory work builds on."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from catalog.exceptions import CatalogError, ReasonRequired
from catalog.models import SkuPrice, Stock, StockMovement, Warehouse
from catalog.services import inventory, pricing

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(ready_product):
    return ready_product.skus.get()


def test_a_new_price_closes_the_current_one_and_keeps_the_history(sku, operator):
    first = pricing.current_price(sku)
    second = pricing.set_price(sku=sku, amount="268.005", actor=operator, reason="促销")
    first.refresh_from_db()
    assert first.valid_to == second.valid_from
    assert second.amount == Decimal("268.01")  # rounded half up, in one place
    assert pricing.current_price(sku) == second
    assert pricing.current_price(sku, at=first.valid_from) == first
    assert SkuPrice.objects.filter(sku=sku).count() == 2


def test_prices_need_a_reason_and_must_be_positive(sku, operator):
    with pytest.raises(ReasonRequired):
        pricing.set_price(sku=sku, amount="10", actor=operator, reason="")
    with pytest.raises(CatalogError):
        pricing.set_price(sku=sku, amount="0", actor=operator, reason="free")
    assert SkuPrice.objects.filter(sku=sku).count() == 1


def test_the_database_refuses_overlapping_price_intervals(sku):
    start = timezone.now() - datetime.timedelta(hours=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        # The fixture's price is open-ended from "now": this one overlaps it.
        SkuPrice.objects.create(sku=sku, amount="1.00", valid_from=start, reason="overlap")


def test_the_database_keeps_reserved_within_on_hand(sku, operator):
    warehouse = Warehouse.objects.create(code="hz", name="杭州仓", province="浙江省", city="杭州市")
    stock = inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=5, actor=operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(reserved=F("on_hand") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(reserved=-1)


def test_receipts_write_the_ledger_that_sums_to_on_hand(sku, operator):
    warehouse = Warehouse.objects.create(code="sh", name="上海仓", province="上海市", city="上海市")
    for quantity in (3, 7):
        stock = inventory.receive_stock(
            sku=sku, warehouse=warehouse, quantity=quantity, actor=operator, reference="PO-1"
        )
    assert stock.on_hand == 10
    ledger = StockMovement.objects.filter(stock=stock).aggregate(total=Sum("quantity"))["total"]
    assert ledger == stock.on_hand
    with pytest.raises(CatalogError):
        inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=0, actor=operator)


def test_manual_adjustments_need_a_reason_in_the_database(sku, operator):
    warehouse = Warehouse.objects.create(code="bj", name="北京仓", province="北京市", city="北京市")
    stock = inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=1, actor=operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(stock=stock, kind="adjustment", quantity=-1, reason="")
