"""What an order costs: every total computed in one function, with ``Decimal``.

``price_lines`` reads the goods as they are now (on sale, price, stock) and lists every
problem; ``compute_totals`` adds goods, shipping by the fee rules, discounts and stored
value. Promotions, coupons and gift cards (marketing) plug in through
``register_discount_source`` and ``register_stored_value_source``: the contract is the
dataclasses below (``PricingContext`` in, ``Pricing`` out).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors
from mall.money import allocate, to_money

SHIPPING_METHODS = {
    "standard": gettext_lazy("Standard delivery"),
    "express": gettext_lazy("Express delivery"),
}


@dataclass(frozen=True)
class PricedLine:
    sku: object
    quantity: int
    unit_price: Decimal
    # The price was set by a floor above (a flash sale's price, which its own service
    # checked): promotions leave such a line alone unless its sale says otherwise.
    special: bool = False

    @property
    def line_total(self) -> Decimal:
        return to_money(self.unit_price * self.quantity)


# --- What the floors above add: the discount-source contract ------------------------------

GOODS = "goods"
SHIPPING = "shipping"


@dataclass(frozen=True)
class Discount:
    """One discount of one source (a promotion, a coupon, points), explained line by line.

    ``source`` is a stable key, unique within an order ("promotion:12", "coupon:3"); the
    order keeps the discount per source and per line under it. A goods discount says how
    it falls on the lines in ``shares`` (SKU id -> part, adding up to ``amount``, no part
    above what is left of its line) or, without shares, is shared by ``compute_totals``
    over every line in proportion to what is left of it. A shipping discount comes off
    the shipping fee."""

    source: str
    label: object  # a mall.labels.Label (or text): "满199减20：已减¥20.00"
    amount: Decimal
    kind: str = GOODS
    shares: Mapping[int, Decimal] | None = None


@dataclass(frozen=True)
class Gift:
    """A gift with purchase (满赠): ``quantity`` of ``sku`` added to the order at no
    price, its stock reserved like any line's. ``value`` (its price when given) is what
    keeping it costs the shopper if a return leaves the order short of the threshold."""

    source: str
    sku: object
    quantity: int
    value: Decimal
    label: object


@dataclass(frozen=True)
class Option:
    value: str
    label: object
    note: object = ""
    selected: bool = False
    disabled: bool = False


@dataclass(frozen=True)
class Choice:
    """A choice the shopper makes at checkout that a source offers (which coupon, which
    gift cards): the page shows it as radio buttons (``multiple``: check boxes) and
    sends the values back under ``name``."""

    name: str
    title: object
    options: tuple[Option, ...]
    multiple: bool = False


@dataclass(frozen=True)
class Pricing:
    """What a discount source answers for a cart."""

    discounts: tuple[Discount, ...] = ()
    gifts: tuple[Gift, ...] = ()
    hints: tuple[object, ...] = ()  # "再买¥31.00可减¥50"
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class StoredValueUse:
    """Part of the total paid from a stored balance (a gift card) rather than through a
    payment provider; ``source`` names the balance ("giftcard:5")."""

    source: str
    label: object
    amount: Decimal


@dataclass(frozen=True)
class PricingContext:
    lines: list[PricedLine]
    goods_total: Decimal
    shipping_fee: Decimal  # before any discount
    province: str
    method: str
    user: object
    # What the shopper chose on the page (name -> values); empty: the sources' defaults.
    choices: Mapping[str, list[str]]
    # What is left of the goods after the sources registered before this one (member
    # prices and points come after promotions); None: the goods total.
    goods_left: Decimal | None = None


@dataclass(frozen=True)
class LineDiscount:
    source: str
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    lines: list[PricedLine]
    goods_total: Decimal
    shipping_fee: Decimal
    discount_total: Decimal  # goods and shipping discounts together
    discounts: list[Discount] = field(default_factory=list)
    shipping_discount: Decimal = Decimal("0.00")
    # SKU id -> the goods discounts on that line, per source, to the cent.
    line_discounts: dict[int, list[LineDiscount]] = field(default_factory=dict)
    gifts: list[Gift] = field(default_factory=list)
    hints: list = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    stored_value: list[StoredValueUse] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.goods_total + self.shipping_fee - self.discount_total

    @property
    def goods_after_discounts(self) -> Decimal:
        return self.goods_total - (self.discount_total - self.shipping_discount)

    @property
    def stored_value_total(self) -> Decimal:
        return sum((use.amount for use in self.stored_value), Decimal("0.00"))

    @property
    def amount_due(self) -> Decimal:
        """What is left to pay through a payment provider."""
        return self.total - self.stored_value_total

    def line_discount(self, sku_id: int) -> Decimal:
        return sum((d.amount for d in self.line_discounts.get(sku_id, ())), Decimal("0.00"))


DiscountSource = Callable[[PricingContext], Pricing]
StoredValueSource = Callable[[PricingContext, Decimal], list[StoredValueUse]]
_DISCOUNT_SOURCES: list[DiscountSource] = []
_STORED_VALUE_SOURCES: list[StoredValueSource] = []


def register_discount_source(source: DiscountSource) -> DiscountSource:
    """Let a floor above (marketing: promotions, coupons; points next) take part in every
    price of a cart: ``source(context) -> Pricing``. Called by ``compute_totals`` for the
    cart page, the checkout and the order alike, so what is shown is what is charged.
    Goods discounts together never take the goods below zero, nor shipping discounts the
    fee. A decorator; registering the same source twice keeps one."""
    if source not in _DISCOUNT_SOURCES:
        _DISCOUNT_SOURCES.append(source)
    return source


_CHOICE_NAMES: list[str] = []


def register_choice(name: str) -> str:
    """A name under which the checkout page sends a source's ``Choice`` back (the view
    reads only the names registered here)."""
    if name not in _CHOICE_NAMES:
        _CHOICE_NAMES.append(name)
    return name


def read_choices(data) -> dict[str, list[str]]:
    """The registered choices in a request's form data (a ``QueryDict``): name -> the
    values sent, empty strings left out. A name not sent at all is left out too (the
    sources' default applies); sent empty, it means "none"."""
    return {
        name: [value for value in data.getlist(name) if value][:20]
        for name in _CHOICE_NAMES
        if name in data
    }


def register_stored_value_source(source: StoredValueSource) -> StoredValueSource:
    """Let a floor above pay part of the total from a stored balance (gift cards):
    ``source(context, due) -> [StoredValueUse]``, never more than ``due`` together. The
    order records the amount; the source takes the balance when the order is placed (an
    ``ordering.register_placement_hook``) and gives it back on cancellation and refunds."""
    if source not in _STORED_VALUE_SOURCES:
        _STORED_VALUE_SOURCES.append(source)
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


def compute_totals(
    *,
    lines: list[PricedLine],
    province: str,
    method: str,
    user=None,
    choices: Mapping[str, list[str]] | None = None,
) -> Totals:
    """Goods, shipping, discounts, stored value and the total of an order, line by line:
    THE one function for what an order costs (cart, checkout, placement, API quote).

    Every goods discount is shared out over the lines to the cent (``mall.money.allocate``:
    in proportion to what is left of each line, the remainder on the largest), so the
    order can keep what each unit cost after discounts; together they never exceed the
    goods, and shipping discounts never exceed the fee (a discount that would is cut to
    what is left). ``choices`` are the shopper's choices on the page (which coupon, which
    gift cards), passed to the sources."""
    goods_total = to_money(sum((line.line_total for line in lines), Decimal("0")))
    fee = shipping_fee(goods_total=goods_total, province=province, method=method)
    context = PricingContext(
        lines=lines,
        goods_total=goods_total,
        shipping_fee=fee,
        province=province,
        method=method,
        user=user,
        choices=dict(choices or {}),
    )
    left = {line.sku.pk: line.line_total for line in lines}
    shipping_left = fee
    discounts, gifts, hints, offered = [], [], [], []
    line_discounts: dict[int, list[LineDiscount]] = {}
    for source in _DISCOUNT_SOURCES:
        pricing = source(replace(context, goods_left=sum(left.values(), Decimal("0.00"))))
        gifts.extend(pricing.gifts)
        hints.extend(pricing.hints)
        offered.extend(pricing.choices)
        for discount in pricing.discounts:
            if discount.kind == SHIPPING:
                amount = min(to_money(discount.amount), shipping_left)
                shipping_left -= amount
                shares = {}
            else:
                shares = _shares(discount, left)
                amount = sum(shares.values(), Decimal("0.00"))
                for sku_id, part in shares.items():
                    left[sku_id] -= part
                    if part:
                        line_discounts.setdefault(sku_id, []).append(
                            LineDiscount(discount.source, part)
                        )
            if amount > 0:
                discounts.append(replace(discount, amount=amount, shares=shares or None))
    shipping_discount = fee - shipping_left
    discount_total = to_money(sum((d.amount for d in discounts), Decimal("0")))
    totals = Totals(
        lines=lines,
        goods_total=goods_total,
        shipping_fee=fee,
        discount_total=discount_total,
        discounts=discounts,
        shipping_discount=shipping_discount,
        line_discounts=line_discounts,
        gifts=gifts,
        hints=hints,
        choices=offered,
    )
    due = totals.total
    stored = []
    for source in _STORED_VALUE_SOURCES:
        for use in source(context, due):
            amount = min(to_money(use.amount), due)
            if amount > 0:
                stored.append(replace(use, amount=amount))
                due -= amount
    return replace(totals, stored_value=stored)


def _shares(discount: Discount, left: dict[int, Decimal]) -> dict[int, Decimal]:
    """How a goods discount falls on the lines, each part within what is left of its
    line: the source's own shares, else in proportion to what is left."""
    if discount.shares is not None:
        return {
            sku_id: min(to_money(part), left.get(sku_id, Decimal("0.00")))
            for sku_id, part in discount.shares.items()
            if sku_id in left and part > 0
        }
    room = sum(left.values(), Decimal("0.00"))
    amount = min(to_money(discount.amount), room)
    if amount <= 0:
        return {}
    ids = list(left)
    return dict(zip(ids, allocate(amount, [left[sku_id] for sku_id in ids]), strict=True))
