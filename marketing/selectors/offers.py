"""What shoppers see of promotions and coupons: the offers on a product page (with an
honest "was" price for limited-time prices), coupons to claim there and on category
pages, the coupon centre and the wallet. Rules come from the process's rule set (no
query when nothing changed); each page adds a fixed number of queries."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q
from django.utils import timezone

from catalog.models import SkuPrice
from catalog.services import pricing as catalog_pricing
from mall.money import to_money

from ..models import Coupon, CouponTemplate, GiftCard
from ..services.pricing import catalogue, engine, labels
from ..services.pricing import rules as r


@dataclass
class ProductOffer:
    rule: r.Rule
    label: object
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    live: bool


@dataclass
class SkuPromotion:
    """A limited-time price of one SKU: ``price`` now, ``was`` the list price when the
    honest reference-price rule allows showing it crossed out (else None)."""

    price: Decimal
    was: Decimal | None
    label: object
    ends_at: datetime.datetime


@dataclass
class ClaimableCoupon:
    template: CouponTemplate
    label: object
    held: int = 0
    left: int | None = None

    @property
    def can_claim(self) -> bool:
        return self.held < self.template.per_shopper_limit and self.left != 0


@dataclass
class ProductOffers:
    offers: list[ProductOffer] = field(default_factory=list)
    sku_prices: dict[int, SkuPromotion] = field(default_factory=dict)
    coupons: list[ClaimableCoupon] = field(default_factory=list)


def _item(product, sku=None) -> r.Item:
    return r.Item(
        sku_id=sku.pk if sku else 0,
        product_id=product.pk,
        category_id=product.category_id,
        brand=(product.brand or "").strip().lower(),
        supplier_id=product.supplier_id,
        unit_price=getattr(sku, "price", None) or Decimal("0"),
        quantity=1,
    )


def product_offers(product, skus, *, user=None, now=None) -> ProductOffers:
    """The promotions covering ``product`` live now or coming (with their public start
    and end), each SKU's limited-time price with its honest "was" price, and the coupons
    a shopper may claim for it. Queries: the rules' version, and only when needed the
    reference prices (two) and the shopper's coupons (two)."""
    now = now or timezone.now()
    rule_set = catalogue.current()
    item = _item(product)
    found = ProductOffers()
    for rule in sorted(rule_set.promotions, key=lambda rule: (rule.starts_at, rule.id)):
        if rule.ends_at <= now or not rule.scope.covers(item):
            continue
        found.offers.append(
            ProductOffer(
                rule=rule,
                label=labels.rule_label(rule),
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                live=rule.starts_at <= now,
            )
        )
    timed = [o.rule for o in found.offers if o.live and o.rule.kind == r.TIMED_DISCOUNT]
    if timed:
        found.sku_prices = _sku_prices(timed, product, skus)
    found.coupons = claimable(rule_set, [item], user=user, now=now)
    return found


def _sku_prices(timed, product, skus) -> dict[int, SkuPromotion]:
    """Each SKU's best limited-time price; its list price shown crossed out only when it
    is not above the lowest price the SKU was offered or sold at in the reference window
    before the promotion began (``catalog.services.pricing``): two queries for all."""
    chosen = {}
    for sku in skus:
        if getattr(sku, "price", None) is None:
            continue
        item = _item(product, sku)
        best = None
        for rule in timed:
            saving = engine._item_saving(rule, item)
            if saving > 0 and (best is None or saving > best[0]):
                best = (saving, rule)
        if best is not None:
            chosen[sku.pk] = (sku, best[1], to_money(sku.price - best[0]))
    if not chosen:
        return {}
    windows = [
        (sku.pk, *catalog_pricing.reference_window(rule.starts_at))
        for sku, rule, _price in chosen.values()
    ]
    condition = Q()
    for sku_id, since, until in windows:
        condition |= Q(sku_id=sku_id) & catalog_pricing.offered_in(since, until)
    offered = dict(
        SkuPrice.objects.filter(condition)
        .values("sku_id")
        .annotate(lowest=Min("amount"))
        .values_list("sku_id", "lowest")
    )
    sold = catalog_pricing.lowest_sold_prices(windows)
    result = {}
    for pk, (sku, rule, price) in chosen.items():
        floors = [x for x in (offered.get(pk), sold.get(pk)) if x is not None]
        honest = bool(floors) and sku.price <= min(floors)
        result[pk] = SkuPromotion(
            price=price,
            was=sku.price if honest else None,
            label=labels.rule_label(rule),
            ends_at=rule.ends_at,
        )
    return result


def claimable(rule_set, items, *, user=None, now=None) -> list[ClaimableCoupon]:
    """Public coupon templates issuing now whose goods include any of ``items`` (all
    public ones when ``items`` is None), with how many the shopper holds and how many are
    left: two queries."""
    now = now or timezone.now()
    ids = [
        pk
        for pk, rule in rule_set.templates.items()
        if items is None or any(rule.scope.covers(item) for item in items)
    ]
    if not ids:
        return []
    templates = list(
        CouponTemplate.objects.filter(
            pk__in=ids,
            channel=CouponTemplate.Channel.PUBLIC,
            status=CouponTemplate.Status.ACTIVE,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("threshold", "pk")
    )
    held = {}
    if user is not None and user.is_authenticated and templates:
        held = dict(
            Coupon.objects.filter(user=user, template__in=templates, claim_seq__isnull=False)
            .values("template")
            .annotate(n=Count("pk"))
            .values_list("template", "n")
        )
    return [
        ClaimableCoupon(
            template=template,
            label=labels.coupon_terms(rule_set.templates[template.pk]),
            held=held.get(template.pk, 0),
            left=None
            if template.total_quantity is None
            else max(template.total_quantity - template.issued, 0),
        )
        for template in templates
    ]


def category_coupons(category, *, user=None):
    """Coupons to claim on a category page: those covering the category or its goods'
    category (subcategories included), or everything."""
    rule_set = catalogue.current()
    item = r.Item(
        sku_id=0,
        product_id=0,
        category_id=category.pk,
        brand="",
        supplier_id=0,
        unit_price=Decimal(0),
        quantity=1,
    )
    return claimable(rule_set, [item], user=user)


def coupon_centre(*, user=None):
    return claimable(catalogue.current(), None, user=user)


def wallet(user, *, now=None) -> dict:
    """The shopper's coupons by tab (usable, used, expired), soonest to end first, and
    their gift cards: four queries."""
    now = now or timezone.now()
    rule_set = catalogue.current()
    mine = Coupon.objects.filter(user=user).select_related("template", "order")
    usable = list(
        mine.filter(status=Coupon.Status.AVAILABLE, valid_until__gt=now).order_by(
            "valid_until", "pk"
        )
    )
    used = list(mine.filter(status=Coupon.Status.USED).order_by("-used_at", "-pk")[:50])
    expired = list(
        mine.filter(
            Q(status=Coupon.Status.EXPIRED)
            | Q(status=Coupon.Status.AVAILABLE, valid_until__lte=now)
        ).order_by("-valid_until", "-pk")[:50]
    )
    for coupon in usable + used + expired:
        rule = rule_set.templates.get(coupon.template_id)
        coupon.rule_label = labels.coupon_terms(rule) if rule else coupon.template.name
        coupon.ends_soon = coupon.valid_until and coupon.valid_until - now < datetime.timedelta(
            days=3
        )
    return {"usable": usable, "used": used, "expired": expired, "gift_cards": gift_cards(user)}


def gift_cards(user) -> list[GiftCard]:
    """The shopper's gift cards, latest added first: one query."""
    return list(GiftCard.objects.filter(owner=user).order_by("-bound_at", "-pk"))
