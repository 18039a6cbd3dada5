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


def price_lines(items: list[tuple[int, int]]) -> tuple[list[PricedLine], list[str]]:
    """Price ``(sku_id, quantity)`` items as the goods are now, in one query.

    Returns the priced lines that can be ordered and a problem message for every item
    that cannot (gone, no longer on sale, without a price, short of stock), so a cart
    page or a refused order can say everything at once.
    """
    skus = selectors.skus_to_order(sku_id for sku_id, _quantity in items)
    lines, problems = [], []
    for sku_id, quantity in items:
        sku = skus.get(sku_id)
        if sku is None or not sku.on_sale or sku.price is None:
            name = sku or _("an item")
            problems.append(_("“%(sku)s” is no longer on sale.") % {"sku": name})
            continue
        if quantity > sku.available:
            if sku.available <= 0:
                problems.append(_("“%(sku)s” is out of stock.") % {"sku": sku})
            else:
                problems.append(
                    _("Only %(available)s of “%(sku)s” left.")
                    % {"available": sku.available, "sku": sku}
                )
            continue
        lines.append(PricedLine(sku=sku, quantity=quantity, unit_price=sku.price))
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
