"""Helpers for fulfilment and logistics tests: goods in two warehouses, paid orders taken
through the real services (allocate, pack, ship), and a calm sandbox carrier (no delays,
losses or damage unless a test asks for them)."""

import datetime

from django.db.models import Sum
from django.utils import timezone

from catalog.models import Stock, StockMovement
from orders.models import Order, Shipment
from orders.services import fulfilment
from tests.catalog.factories import WarehouseFactory, make_listed_product, tea_categories
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders.factories import place
from tests.orders.paying import pay

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def calm_carrier(settings):
    """The sandbox carrier switched on, with no delays, losses or damage (call it from a
    fixture with pytest-django's ``settings``)."""
    settings.MALL_CARRIERS = ["sandbox"]
    settings.MALL_SANDBOX_CARRIER_DELAY_RATE = 0
    settings.MALL_SANDBOX_CARRIER_LOSS_RATE = 0
    settings.MALL_SANDBOX_CARRIER_DAMAGE_RATE = 0
    settings.MALL_SANDBOX_CARRIER_DELAY_HOURS = 60
    settings.MALL_LOGISTICS_DELAY_HOURS = 48
    return settings


def mishaps(settings, *, delay=0.0, loss=0.0, damage=0.0):
    settings.MALL_SANDBOX_CARRIER_DELAY_RATE = delay
    settings.MALL_SANDBOX_CARRIER_LOSS_RATE = loss
    settings.MALL_SANDBOX_CARRIER_DAMAGE_RATE = damage


def two_warehouse_goods(*, stock=20):
    """Tea in the Hangzhou warehouse, cups in the Guangzhou one (with barcodes)."""
    category = tea_categories()
    north = WarehouseFactory(code="hz", name="杭州仓", province="浙江省", city="杭州市")
    south = WarehouseFactory(code="gz", name="广州仓", province="广东省", city="广州市")
    tea = make_listed_product(
        name="龙井", category=category, prices=("45.00",), stock=stock, warehouse=north
    ).skus.get()
    cup = make_listed_product(
        name="茶杯", category=category, prices=("20.00",), stock=stock, warehouse=south
    ).skus.get()
    tea.barcode, cup.barcode = "6901234567892", "6901234567809"
    tea.save(update_fields=["barcode"])
    cup.save(update_fields=["barcode"])
    return tea, cup


def paid_order(items, *, user=None, city="北京市", province="北京市") -> Order:
    user = user or UserFactory()
    address = AddressFactory(user=user, province=province, city=city, district="朝阳区")
    order = place(user=user, address=address, items=items)
    pay(order)
    order.refresh_from_db()
    return order


def scans_for(shipment: Shipment) -> list[tuple[str, int]]:
    return [
        (line.order_line.sku.code, line.quantity)
        for line in shipment.lines.select_related("order_line__sku")
    ]


def pack(shipment: Shipment, actor=None) -> Shipment:
    return fulfilment.confirm_packing(
        shipment=shipment,
        items=scans_for(shipment),
        actor=actor,
        condition=fulfilment.CONDITION_CHECKS,
    )


def ship_all(order: Order, *, now=None, actor=None) -> list[Shipment]:
    """Allocate ``order`` (unless it was), pack and ship every shipment with the sandbox
    carrier, handed over at ``now``."""
    order.refresh_from_db()
    if order.status == Order.Status.PAID:
        fulfilment.allocate_order(order=order)
    shipped = []
    for shipment in order.shipments.filter(status=Shipment.Status.PICKING).order_by("pk"):
        pack(shipment, actor)
        shipped.append(fulfilment.ship(shipment=shipment, carrier="sandbox", actor=actor, now=now))
    return shipped


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def assert_ledger_adds_up(*stocks: Stock) -> None:
    for stock in stocks:
        stock.refresh_from_db()
        sums = StockMovement.objects.filter(stock=stock).aggregate(
            on_hand=Sum("quantity"), reserved=Sum("reserved_change")
        )
        assert (sums["on_hand"], sums["reserved"] or 0) == (stock.on_hand, stock.reserved)
