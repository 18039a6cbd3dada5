"""Read queries of orders for pages, the API and reports: each returns what a page needs
in a fixed number of queries, whatever the number of lines or orders."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from catalog.models import ProductReview

from ..models import (
    AfterSalesCase,
    Cart,
    CartLine,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatusChange,
    Payment,
    Refund,
    Shipment,
    TrackingEvent,
)
from ..services.checkout import CheckedItem, PricedLine, Totals, check_items, compute_totals


@dataclass(frozen=True)
class CartLineView:
    item: CheckedItem
    price_seen: Decimal | None

    def __getattr__(self, name):  # sku, quantity, unit_price, line_total, problem, ...
        return getattr(self.item, name)

    @property
    def price_changed(self) -> bool:
        return (
            self.price_seen is not None
            and self.item.unit_price is not None
            and self.price_seen != self.item.unit_price
        )


@dataclass(frozen=True)
class CartView:
    cart: Cart | None
    lines: list[CartLineView]
    totals: Totals | None  # of the lines that can be ordered

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]

    @property
    def orderable(self) -> list[CartLineView]:
        return [line for line in self.lines if not line.problem]

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def cart_view(
    cart: Cart | None,
    *,
    province: str = "",
    method: str = "standard",
    user=None,
    choices: dict | None = None,
):
    """The cart as it is now: every line re-checked (still on sale, price, stock) with
    its problem and whether its price changed since the shopper last saw it, and the
    totals of the lines that can be ordered (shipping to ``province`` by ``method``; the
    shopper's ``choices`` of coupon and gift cards): two queries, and those of the
    discount sources (a fixed number, whatever the lines and rules)."""
    if cart is None:
        return CartView(cart=None, lines=[], totals=None)
    rows = list(CartLine.objects.filter(cart=cart).values_list("sku_id", "quantity", "price_seen"))
    checked = check_items([(sku_id, quantity) for sku_id, quantity, _seen in rows])
    lines = [CartLineView(item, seen) for item, (_s, _q, seen) in zip(checked, rows, strict=True)]
    priced = [
        PricedLine(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
        for line in lines
        if not line.problem
    ]
    totals = compute_totals(
        lines=priced, province=province, method=method, user=user, choices=choices
    )
    return CartView(cart=cart, lines=lines, totals=totals)


def orders_of(user) -> QuerySet[Order]:
    """A shopper's orders, newest first, with their lines and their SKUs (two queries
    per page)."""
    return (
        Order.objects.filter(user=user)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("pk"))
        )
        .order_by("-placed_at", "-pk")
    )


# The order centre's tabs (全部 / 待付款 / 待发货 / 待收货 / 待评价 / 退款售后): key → which
# orders it holds. "to review": delivered or completed with a line (not a gift) that has
# no review yet; "after-sales": any after-sales case was asked for.
ORDER_TABS = ("all", "to_pay", "to_ship", "to_receive", "to_review", "after_sales")


def _tab_filters() -> dict[str, Q]:
    unreviewed = OrderLine.objects.filter(order=OuterRef("pk"), gift_source="").exclude(
        Exists(ProductReview.objects.filter(order_line_id=OuterRef("pk")))
    )
    return {
        "all": Q(),
        "to_pay": Q(status=Order.Status.PENDING_PAYMENT),
        "to_ship": Q(status__in=(Order.Status.PAID, Order.Status.IN_FULFILMENT)),
        "to_receive": Q(status=Order.Status.SHIPPED),
        "to_review": Q(status__in=(Order.Status.DELIVERED, Order.Status.COMPLETED))
        & Q(Exists(unreviewed)),
        "after_sales": Q(Exists(AfterSalesCase.objects.filter(order=OuterRef("pk")))),
    }


def order_tab_counts(user) -> dict[str, int]:
    """How many of the shopper's orders each tab holds: one query."""
    filters = _tab_filters()
    return Order.objects.filter(user=user).aggregate(
        **{tab: Count("pk", filter=filters[tab]) for tab in ORDER_TABS}
    )


def orders_in_tab(user, tab: str) -> QuerySet[Order]:
    """``orders_of`` narrowed to one tab of the order centre (an unknown tab: all)."""
    return orders_of(user).filter(_tab_filters().get(tab, Q()))


def order_detail(*, number: str, user=None) -> Order:
    """One order with its lines (each knowing whether it has a product review yet, as
    ``reviewed``), its discounts by source, timeline (actors joined), payments and
    refunds, and its shipments (cancelled ones left out) with their tracking events,
    newest first: eight queries.
    With ``user``, only that shopper's order is found (anyone else's is
    ``Order.DoesNotExist``, which pages turn into a 404)."""
    orders = Order.objects.select_related("user")
    if user is not None:
        orders = orders.filter(user=user)
    reviewed = Exists(ProductReview.objects.filter(order_line_id=OuterRef("pk")))
    return orders.prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("sku")
            .annotate(reviewed=reviewed)
            .order_by("pk"),
        ),
        Prefetch("discounts", queryset=OrderDiscount.objects.order_by("position", "pk")),
        Prefetch(
            "timeline",
            queryset=OrderStatusChange.objects.select_related("actor").order_by("at", "pk"),
        ),
        Prefetch("payments", queryset=Payment.objects.order_by("created_at", "pk")),
        Prefetch("payments__refunds", queryset=Refund.objects.order_by("created_at", "pk")),
        Prefetch(
            "shipments",
            queryset=Shipment.objects.exclude(status=Shipment.Status.CANCELLED).order_by(
                "created_at", "pk"
            ),
        ),
        Prefetch(
            "shipments__events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk")
        ),
    ).get(number=number)
