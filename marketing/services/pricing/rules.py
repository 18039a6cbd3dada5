"""The rules the engine applies, as plain values: what a promotion or a coupon template
says, frozen (``Rule``), and the goods of a cart as the engine sees them (``Item``).

Rules are built from the database once per version of the rules (``catalogue``) and kept
by each process; an order keeps the rules it was priced with as JSON (``to_json``), so
the same rules can be applied again after a partial return.
"""

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal

ITEM = "item"
ORDER = "order"
SHIPPING = "shipping"
COUPON = "coupon"

# Kinds (the models' choices, repeated so that the engine stays free of Django).
THRESHOLD_OFF = "threshold_off"
THRESHOLD_PERCENT = "threshold_percent"
TIMED_DISCOUNT = "timed_discount"
BUY_GET = "buy_get"
NTH_ITEM = "nth_item"
FREE_SHIPPING = "free_shipping"
GIFT = "gift"
NEW_CUSTOMER = "new_customer"
AMOUNT_OFF = "amount_off"  # coupons
PERCENT_OFF = "percent_off"  # coupons

AMOUNT = "amount"
QUANTITY = "quantity"


@dataclass(frozen=True)
class Scope:
    """Goods by product, category (expanded to its subcategories when built), brand
    (lower case) or supplier, less exclusions; nothing included means everything."""

    products: frozenset = frozenset()
    categories: frozenset = frozenset()
    brands: frozenset = frozenset()
    suppliers: frozenset = frozenset()
    excluded_products: frozenset = frozenset()
    excluded_categories: frozenset = frozenset()
    excluded_brands: frozenset = frozenset()
    excluded_suppliers: frozenset = frozenset()

    @property
    def everything(self) -> bool:
        return not (self.products or self.categories or self.brands or self.suppliers)

    def excludes(self, item: "Item") -> bool:
        return (
            item.product_id in self.excluded_products
            or item.category_id in self.excluded_categories
            or item.brand in self.excluded_brands
            or item.supplier_id in self.excluded_suppliers
        )

    def covers(self, item: "Item") -> bool:
        if self.excludes(item):
            return False
        return (
            self.everything
            or item.product_id in self.products
            or item.category_id in self.categories
            or item.brand in self.brands
            or item.supplier_id in self.suppliers
        )


@dataclass(frozen=True)
class Tier:
    threshold: Decimal = Decimal("0")
    amount_off: Decimal | None = None
    percent_off: Decimal | None = None
    gift_sku_id: int | None = None
    gift_quantity: int = 0
    gift_value: Decimal = Decimal("0.00")  # the gift's unit price when the rule was built


@dataclass(frozen=True, eq=False)
class Rule:
    """Compared and hashed by identity: a process builds each rule once per version."""

    key: str  # "promotion:12", "coupon:3" (the template): the discount's source
    id: int
    kind: str
    group: str
    name: str
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    priority: int = 0
    exclusive: bool = False
    scope: Scope = field(default_factory=Scope)
    tiers: tuple[Tier, ...] = ()
    basis: str = AMOUNT
    repeatable: bool = False
    cap: Decimal | None = None
    percent_off: Decimal | None = None
    fixed_price: Decimal | None = None
    buy_quantity: int = 0
    free_quantity: int = 0
    nth: int = 0
    # Coupons: combine with promotions (else only goods no promotion discounted).
    stackable: bool = True
    threshold: Decimal = Decimal("0")  # a coupon's minimum spend
    # The campaign whose budget pays for what it gives (None: no campaign, no cap).
    campaign_id: int | None = None

    def live(self, now) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    @property
    def sort_key(self) -> tuple:
        """Higher priority first, then the older rule: every tie is broken the same way."""
        return (-self.priority, self.id)

    def to_json(self) -> dict:
        data = asdict(self)
        data["scope"] = {name: sorted(value) for name, value in data["scope"].items()}
        data["tiers"] = [_plain(tier) for tier in data["tiers"]]
        for name in ("starts_at", "ends_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return _plain(data)

    @classmethod
    def from_json(cls, data: dict) -> "Rule":
        data = dict(data)
        data["scope"] = Scope(**{name: frozenset(v) for name, v in data["scope"].items()})
        data["tiers"] = tuple(
            Tier(
                **{
                    **tier,
                    "threshold": Decimal(tier["threshold"]),
                    "amount_off": _decimal(tier["amount_off"]),
                    "percent_off": _decimal(tier["percent_off"]),
                    "gift_value": Decimal(tier["gift_value"]),
                }
            )
            for tier in data["tiers"]
        )
        for name in ("cap", "percent_off", "fixed_price"):
            data[name] = _decimal(data[name])
        data["threshold"] = Decimal(data["threshold"])
        for name in ("starts_at", "ends_at"):
            data[name] = datetime.datetime.fromisoformat(data[name]) if data[name] else None
        return cls(**data)


def _decimal(value):
    return None if value is None else Decimal(value)


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class Item:
    """One line of a cart or an order as the engine sees it."""

    sku_id: int
    product_id: int
    category_id: int
    brand: str
    supplier_id: int
    unit_price: Decimal
    quantity: int
    # False for a flash-sale line whose sale does not combine with promotions.
    promotable: bool = True

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity
