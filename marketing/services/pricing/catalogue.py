"""The rules in force, as the engine reads them: every approved promotion that has not
ended and every coupon template (and whether any gift card exists), built once per
version of the rules and kept by each process, with an index from product, category,
brand and supplier to the promotions that cover them, so pricing a cart reads a handful
of rules whatever the number in force.

Every write to promotions or coupon templates changes the version token in the same
transaction (``bump``); a quote reads the token (one query) and rebuilds only when it
changed, or after ``MALL_PRICING_RULES_TTL`` seconds (a new subcategory under a
promotion's category, a gift's new price).
"""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from catalog.models import Category
from catalog.selectors import skus_to_order

from ...models import (
    APPROVED,
    GROUP_OF,
    CouponTemplate,
    GiftCard,
    PricingRulesVersion,
    Promotion,
    PromotionTier,
    new_token,
)
from . import rules as r

_lock = threading.Lock()
_cache: dict = {}


def bump() -> None:
    """Mark the rules changed: call in the transaction of every write to promotions and
    coupon templates, and of the first gift cards (one UPSERT). A rolled-back write
    leaves the old token."""
    table = PricingRulesVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, token) VALUES (1, %s) "  # noqa: S608 - our own table name
            "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token",
            [new_token()],
        )


def token() -> str:
    return PricingRulesVersion.objects.filter(pk=1).values_list("token", flat=True).first() or ""


@dataclass
class RuleSet:
    token: str
    built_at: float
    promotions: list[r.Rule] = field(default_factory=list)
    templates: dict[int, r.Rule] = field(default_factory=dict)
    everywhere: list[r.Rule] = field(default_factory=list)
    by_product: dict = field(default_factory=lambda: defaultdict(list))
    by_category: dict = field(default_factory=lambda: defaultdict(list))
    by_brand: dict = field(default_factory=lambda: defaultdict(list))
    by_supplier: dict = field(default_factory=lambda: defaultdict(list))
    by_key: dict = field(default_factory=dict)
    # Whether any gift card exists: a shop without any asks no wallet for cards.
    has_gift_cards: bool = False

    def index(self, rule: r.Rule) -> None:
        self.promotions.append(rule)
        self.by_key[rule.key] = rule
        scope = rule.scope
        if scope.everything:
            self.everywhere.append(rule)
        for key, table in (
            (scope.products, self.by_product),
            (scope.categories, self.by_category),
            (scope.brands, self.by_brand),
            (scope.suppliers, self.by_supplier),
        ):
            for value in key:
                table[value].append(rule)

    def covering(self, item: r.Item, now, *, new_customer) -> list[r.Rule]:
        """The promotions live at ``now`` whose scope covers ``item`` (new-customer offers
        only when ``new_customer()`` says the shopper is one; it is asked once, lazily)."""
        found = [
            *self.everywhere,
            *self.by_product.get(item.product_id, ()),
            *self.by_category.get(item.category_id, ()),
            *self.by_brand.get(item.brand, ()),
            *self.by_supplier.get(item.supplier_id, ()),
        ]
        seen, result = set(), []
        for rule in found:
            if id(rule) in seen or not rule.live(now) or rule.scope.excludes(item):
                continue
            seen.add(id(rule))
            if rule.kind == r.NEW_CUSTOMER and not new_customer():
                continue
            result.append(rule)
        return result

    @property
    def gift_skus(self) -> set[int]:
        return {t.gift_sku_id for rule in self.promotions for t in rule.tiers if t.gift_sku_id}


def current() -> RuleSet:
    """The rules in force for this process: rebuilt when the token changed or the rules
    are older than the TTL. One query when nothing changed."""
    now_token = token()
    rules = _cache.get("rules")
    ttl = settings.MALL_PRICING_RULES_TTL
    if rules is not None and rules.token == now_token and time.monotonic() - rules.built_at < ttl:
        return rules
    with _lock:
        rules = build(now_token)
        _cache["rules"] = rules
    return rules


def forget() -> None:
    """Drop this process's rules (tests that change the clock or the catalogue)."""
    _cache.pop("rules", None)


_SCOPE = ("products", "categories", "suppliers")


def _scope_prefetches() -> list:
    return [*_SCOPE, *(f"excluded_{name}" for name in _SCOPE)]


def build(version: str = "") -> RuleSet:
    """Every approved promotion not ended yet and every coupon template, as rules: a
    fixed number of queries whatever their number."""
    now = timezone.now()
    rule_set = RuleSet(token=version, built_at=time.monotonic())
    tree = dict(Category.objects.values_list("pk", "parent_id"))
    children = defaultdict(list)
    for pk, parent in tree.items():
        children[parent].append(pk)
    promotions = list(
        Promotion.objects.filter(status__in=APPROVED, ends_at__gt=now)
        .prefetch_related(
            Prefetch("tiers", queryset=PromotionTier.objects.order_by("threshold", "pk")),
            *_scope_prefetches(),
        )
        .order_by("pk")
    )
    gifts = {t.gift_sku_id for p in promotions for t in p.tiers.all() if t.gift_sku_id}
    gift_prices = {pk: sku.price for pk, sku in skus_to_order(gifts).items()} if gifts else {}
    for promotion in promotions:
        rule_set.index(promotion_rule(promotion, children, gift_prices))
    rule_set.has_gift_cards = GiftCard.objects.exists()
    templates = CouponTemplate.objects.prefetch_related(*_scope_prefetches()).order_by("pk")
    for template in templates:
        rule_set.templates[template.pk] = template_rule(template, children)
    return rule_set


def _descendants(roots, children) -> frozenset:
    found, stack = set(), list(roots)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, ()))
    return frozenset(found)


def scope_of(obj, children) -> r.Scope:
    def ids(name):
        return frozenset(o.pk for o in getattr(obj, name).all())

    return r.Scope(
        products=ids("products"),
        categories=_descendants(ids("categories"), children),
        brands=frozenset(b.strip().lower() for b in obj.brands if b.strip()),
        suppliers=ids("suppliers"),
        excluded_products=ids("excluded_products"),
        excluded_categories=_descendants(ids("excluded_categories"), children),
        excluded_brands=frozenset(b.strip().lower() for b in obj.excluded_brands if b.strip()),
        excluded_suppliers=ids("excluded_suppliers"),
    )


def promotion_rule(promotion: Promotion, children, gift_prices=None, *, scope=True) -> r.Rule:
    """``promotion`` as the engine reads it (``scope=False``: without its goods, enough to
    name it; no query beyond its prefetched tiers)."""
    gift_prices = gift_prices or {}
    tiers = tuple(
        r.Tier(
            threshold=tier.threshold,
            amount_off=tier.amount_off,
            percent_off=tier.percent_off,
            gift_sku_id=tier.gift_sku_id,
            gift_quantity=tier.gift_quantity if tier.gift_sku_id else 0,
            gift_value=gift_prices.get(tier.gift_sku_id) or r.Decimal("0.00"),
        )
        for tier in promotion.tiers.all()
    )
    return r.Rule(
        key=f"promotion:{promotion.pk}",
        id=promotion.pk,
        kind=promotion.kind,
        group=GROUP_OF[promotion.kind],
        name=promotion.name,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        priority=promotion.priority,
        exclusive=promotion.exclusive,
        scope=scope_of(promotion, children) if scope else r.Scope(),
        tiers=tiers,
        basis=promotion.basis,
        repeatable=promotion.repeatable,
        cap=promotion.cap,
        percent_off=promotion.percent_off,
        fixed_price=promotion.fixed_price,
        buy_quantity=promotion.buy_quantity or 0,
        free_quantity=promotion.free_quantity or 0,
        nth=promotion.nth or 0,
        campaign_id=promotion.campaign_id,
    )


def template_rule(template: CouponTemplate, children, *, scope=True) -> r.Rule:
    return r.Rule(
        key=f"coupon-template:{template.pk}",
        id=template.pk,
        kind=template.kind,
        group=r.COUPON,
        name=template.name,
        scope=scope_of(template, children) if scope else r.Scope(),
        tiers=(r.Tier(threshold=template.threshold, amount_off=template.amount),),
        percent_off=template.percent_off,
        cap=template.max_discount,
        stackable=template.stackable,
        threshold=template.threshold,
        campaign_id=template.campaign_id,
    )
