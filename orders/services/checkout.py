"""What an order costs: every total computed in one function, with ``Decimal``.

``price_lines`` reads the goods as they are now (on sale, price, stock) and lists every
problem; ``compute_totals`` adds goods, shipping by the fee rules and discounts. The
discounts and points of the marketing work plug in through ``register_discount_source``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors
from mall.money import to_money

SHIPPING_METHODS = {
    "standard": gettext_lazy("Standard delivery"),
    "express": gettext_lazy("Express delivery"),
}


@dataclass(frozen=True)
class PricedLine:
    sku: object
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return to_money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Totals:
    lines: list[PricedLine]
    goods_total: Decimal
    shipping_fee: Decimal
    discount_total: Decimal
    discounts: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.goods_total + self.shipping_fee - self.discount_total


# (lines, goods_total, user) -> [(label, amount)]: how marketing adds its discounts.
DiscountSource = Callable[[list[PricedLine], Decimal, object], list[tuple[str, Decimal]]]
_DISCOUNT_SOURCES: list[DiscountSource] = []


def register_discount_source(source: DiscountSource) -> DiscountSource:
    """Let the marketing app grant discounts (coupons, campaigns, points) at checkout.
    Their sum never takes the goods below zero."""
    _DISCOUNT_SOURCES.append(source)
    return source


@dataclass(frozen=True)
class CheckedItem:
    """One wanted ``(sku_id, quantity)`` as the goods are now: ``sku`` (or ``None`` when
    gone), its current ``unit_price``, the units ``available`` and the ``problem`` that
    stops it from being ordered (``None`` when it can be)."""

    sku_id: int
    quantity: int
    sku: object | None
    unit_price: Decimal | None
    available: int
    problem: str | None

    @property
    def line_total(self) -> Decimal | None:
        if self.unit_price is None:
            return None
        return to_money(self.unit_price * self.quantity)


def check_items(items: list[tuple[int, int]]) -> list[CheckedItem]:
    """Check ``(sku_id, quantity)`` items against the goods as they are now (listing,
    price, stock), in one query, keeping their order; a cart shows every line's problem."""
    items = list(items)
    skus = selectors.skus_to_order(sku_id for sku_id, _quantity in items)
    checked = []
    for sku_id, quantity in items:
        sku = skus.get(sku_id)
        problem = None
        if sku is None or not sku.on_sale or sku.price is None:
            name = sku or _("an item")
            problem = _("“%(sku)s” is no longer on sale.") % {"sku": name}
        elif sku.available <= 0:
            problem = _("“%(sku)s” is out of stock.") % {"sku": sku}
        elif quantity > sku.available:
            problem = _("Only %(available)s of “%(sku)s” left.") % {
                "available": sku.available,
                "sku": sku,
            }
        checked.append(
            CheckedItem(
                sku_id=sku_id,
                quantity=quantity,
                sku=sku,
                unit_price=sku.price if sku is not None and sku.on_sale else None,
                available=max(sku.available, 0) if sku is not None else 0,
                problem=problem,
            )
        )
    return checked


def price_lines(items: list[tuple[int, int]]) -> tuple[list[PricedLine], list[str]]:
    """Price ``(sku_id, quantity)`` items as the goods are now, in one query.

    Returns the priced lines that can be ordered and a problem message for every item
    that cannot (gone, no longer on sale, without a price, short of stock), so a cart
    page or a refused order can say everything at once.
    """
    lines, problems = [], []
    for item in check_items(items):
        if item.problem:
            problems.append(item.problem)
        else:
            lines.append(
                PricedLine(sku=item.sku, quantity=item.quantity, unit_price=item.unit_price)
            )
    return lines, problems


def shipping_fee(*, goods_total: Decimal, province: str, method: str) -> Decimal:
    """The fee rules: standard delivery is free from ``MALL_FREE_SHIPPING_OVER``, else
    ``MALL_SHIPPING_FEE``; express costs ``MALL_EXPRESS_FEE`` always; remote provinces
    (``MALL_REMOTE_PROVINCES``) add ``MALL_REMOTE_SURCHARGE`` to either."""
    if method not in SHIPPING_METHODS:
        raise ValueError(f"unknown shipping method {method!r}")
    if method == "express":
        fee = Decimal(settings.MALL_EXPRESS_FEE)
    elif goods_total >= Decimal(settings.MALL_FREE_SHIPPING_OVER):
        fee = Decimal("0")
    else:
        fee = Decimal(settings.MALL_SHIPPING_FEE)
    if province in settings.MALL_REMOTE_PROVINCES:
        fee += Decimal(settings.MALL_REMOTE_SURCHARGE)
    return to_money(fee)


def compute_totals(*, lines: list[PricedLine], province: str, method: str, user=None) -> Totals:
    """Goods, shipping, discounts and the total of an order, line by line."""
    goods_total = to_money(sum((line.line_total for line in lines), Decimal("0")))
    discounts = [
        (label, to_money(amount))
        for source in _DISCOUNT_SOURCES
        for label, amount in source(lines, goods_total, user)
    ]
    discount_total = min(sum((amount for _, amount in discounts), Decimal("0")), goods_total)
    return Totals(
        lines=lines,
        goods_total=goods_total,
        shipping_fee=shipping_fee(goods_total=goods_total, province=province, method=method),
        discount_total=to_money(discount_total),
        discounts=discounts,
    )
