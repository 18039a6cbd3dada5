"""Demo orders: the demo shoppers' orders in each state an operator or a shopper meets
(paid, awaiting payment, cancelled, waiting in the risk review), a filled cart, and
flash sales. Every order goes through the real services (placement, sandbox payment,
cancellation), so stock, ledger and timelines add up. Idempotent: fixed keys."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import SKU, Product, Stock
from catalog.selectors import skus_to_order
from customers.models import User
from mall.money import to_money
from marketing.models import FlashSale
from marketing.services import flashsales as flashsale
from ops.demo.accounts import SHOPPERS
from orders.exceptions import OrderError
from orders.models import BlockedContact, Order
from orders.providers.adapters import sandbox_gateway
from orders.services import aftersales, fulfilment, logistics, ordering, payments
from orders.services import cart as carts


def _flash_sales(goods: list[SKU]) -> None:
    """A flash sale running for a week and one that starts tomorrow, once."""
    if FlashSale.objects.exists():
        return
    operator = User.objects.filter(email="operator@mall.example").first()
    now = timezone.now()
    priced = skus_to_order(sku.pk for sku in goods)
    for sku, starts, days in ((goods[4], now, 7), (goods[5], now + datetime.timedelta(days=1), 2)):
        flashsale.schedule_sale(
            sku=sku,
            # Demo goods cost 55-70 % of their price and a flash price may not be below
            # the cost (the price floor): a quarter off.
            price=to_money(priced[sku.pk].price * 3 / 4),
            quantity=20,
            per_shopper_limit=2,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(days=days),
            actor=operator,
        )


def _deliver(order: Order, *, days_ago: int) -> None:
    """Send ``order`` the way the warehouse and the carrier would have, ``days_ago`` days
    ago: allocated, packed, handed to the sandbox carrier, polled up to now (so it is
    delivered, or, as the sandbox's rates decide, delayed, lost or damaged)."""
    clerk = User.objects.filter(email="warehouse@mall.example").first()
    then = timezone.now() - datetime.timedelta(days=days_ago)
    for shipment in fulfilment.allocate_order(order=order, actor=clerk):
        scans = [(line.order_line.sku_code, line.quantity) for line in shipment.lines.all()]
        fulfilment.confirm_packing(
            shipment=shipment, items=scans, actor=clerk, condition=fulfilment.CONDITION_CHECKS
        )
        fulfilment.ship(shipment=shipment, carrier="sandbox", actor=clerk, now=then)
    # Demo history only: the order was placed and paid a little before it shipped.
    earlier = then - datetime.timedelta(hours=3)
    Order.objects.filter(pk=order.pk).update(placed_at=earlier, pay_by=earlier)
    order.timeline.filter(transition__in=["place", "pay"]).update(at=earlier)
    logistics.poll_shipments()


def _goods(count: int) -> list[SKU]:
    """The first listed demo SKUs with plenty of sellable stock, by code (stable)."""
    stocked = Stock.objects.sellable().filter(on_hand__gte=30).values("sku_id")
    return list(
        SKU.objects.filter(
            pk__in=stocked, is_active=True, product__status=Product.Status.LISTED
        ).order_by("code")[:count]
    )


def _place(user, key, items, **kwargs) -> Order | None:
    existing = Order.objects.filter(user=user, idempotency_key=key).first()
    if existing:
        return None  # made by an earlier run: leave it as it is now
    return ordering.place_order(
        user=user,
        address=user.addresses.order_by("-is_default", "pk").first(),
        items=[(sku.pk, quantity) for sku, quantity in items],
        shipping_method=kwargs.pop("shipping_method", "standard"),
        idempotency_key=key,
        **kwargs,
    )


def _pay(order: Order) -> None:
    # The sandbox calls the shop back where it runs (bin/shop sets MALL_SITE_URL).
    site = settings.MALL_SITE_URL.rstrip("/")
    started = payments.start_payment(
        order=order,
        actor=order.user,
        provider="sandbox",
        notify_url=f"{site}/payments/notify/sandbox/",
        return_url=f"{site}/payments/return/{payments.OUT_TRADE_NO}/",
    )
    sandbox_gateway.settle(out_trade_no=started.payment.out_trade_no, succeed=True)
    payments.confirm_by_query(payment=started.payment)


def seed() -> None:
    """Place the demo orders once (later runs add nothing)."""
    if "sandbox" not in settings.MALL_PAYMENT_PROVIDERS:
        return
    goods = _goods(6)
    users = [User.objects.filter(phone=phone).first() for phone, *_ in SHOPPERS]
    if len(goods) < 6 or not all(users) or not all(u.addresses.exists() for u in users):
        return
    first, second, third = users
    try:
        with transaction.atomic():
            paid = _place(first, "demo-paid", [(goods[0], 1), (goods[1], 2)])
            if paid:
                _pay(paid)
            _place(first, "demo-unpaid", [(goods[2], 1)], shipping_method="express")
            cancelled = _place(second, "demo-cancelled", [(goods[3], 1)])
            if cancelled:
                ordering.cancel_order(order=cancelled, actor=second, reason="买重复了")
            # The blocklist operators keep, and a wholesale-sized order that waits in the
            # review queue (more units of one item than MALL_REVIEW_MAX_QUANTITY).
            BlockedContact.objects.get_or_create(
                kind=BlockedContact.Kind.PHONE,
                value="13900009999",
                defaults={"reason": "演示数据：多次恶意拒收"},
            )
            flagged = _place(
                second, "demo-review", [(goods[0], settings.MALL_REVIEW_MAX_QUANTITY + 5)]
            )
            if flagged:
                _pay(flagged)
            # A parcel that travelled (tracked to the door by the sandbox carrier), and an
            # after-sales case asked for on it, waiting for a support agent.
            delivered = _place(first, "demo-delivered", [(goods[3], 2)])
            if delivered:
                _pay(delivered)
                _deliver(delivered, days_ago=4)
                delivered.refresh_from_db()
                if delivered.status == Order.Status.DELIVERED:
                    aftersales.request_case(
                        order=delivered,
                        actor=first,
                        kind="return",
                        reason="no_reason",
                        lines=[(delivered.lines.get(), 1)],
                        description="买多了一件，包装未拆。",
                    )
            cart = carts.open_cart(user=third)
            if not cart.lines.exists():
                carts.add_to_cart(cart=cart, sku_id=goods[1].pk, quantity=1)
                carts.add_to_cart(cart=cart, sku_id=goods[2].pk, quantity=2)
            _flash_sales(goods)
    except OrderError:
        # Demo goods sold out on a long-lived database: the demo orders are a nicety.
        return
