"""Operators write promotions as drafts: every problem listed at once, and how deep the
rule can cut a price (its ``depth``), which decides whether a second operator approves."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from catalog.selectors import skus_to_order
from mall.money import to_money

from ...exceptions import PromotionInvalid
from ...models import Promotion, PromotionTier

Kind = Promotion.Kind

FIELDS = (
    "name",
    "kind",
    "priority",
    "exclusive",
    "basis",
    "repeatable",
    "cap",
    "percent_off",
    "fixed_price",
    "buy_quantity",
    "free_quantity",
    "nth",
    "starts_at",
    "ends_at",
    "brands",
    "excluded_brands",
    "campaign",
)
SCOPE = (
    "products",
    "categories",
    "suppliers",
    "excluded_products",
    "excluded_categories",
    "excluded_suppliers",
)
TIER_FIELDS = ("threshold", "amount_off", "percent_off", "gift_sku", "gift_quantity")
ONE = Decimal(1)


def _money(value):
    if value in (None, ""):
        return None
    try:
        return to_money(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _tiers_problems(kind, basis, repeatable, tiers) -> list[str]:
    problems = []
    needs_tiers = kind in (
        Kind.THRESHOLD_OFF,
        Kind.THRESHOLD_PERCENT,
        Kind.GIFT,
        Kind.FREE_SHIPPING,
        Kind.NEW_CUSTOMER,
    )
    if not needs_tiers:
        return problems
    if not tiers:
        return [_("Give at least one tier: its threshold and what it gives.")]
    thresholds = [t["threshold"] for t in tiers]
    if len(set(thresholds)) != len(thresholds):
        problems.append(_("Two tiers have the same threshold."))
    if kind in (Kind.FREE_SHIPPING, Kind.NEW_CUSTOMER) and len(tiers) > 1:
        problems.append(_("This type of promotion has one tier."))
    if repeatable and len(tiers) > 1:
        problems.append(_("A promotion that repeats for every threshold has one tier."))
    previous = None
    for n, tier in enumerate(sorted(tiers, key=lambda t: t["threshold"]), start=1):
        threshold, off, percent = tier["threshold"], tier.get("amount_off"), tier.get("percent_off")
        if threshold is None or threshold < 0:
            problems.append(_("Tier %(n)s: give a threshold of 0 or more.") % {"n": n})
            continue
        if basis == Promotion.Basis.QUANTITY and threshold != threshold.to_integral_value():
            problems.append(_("Tier %(n)s: a number of items is a whole number.") % {"n": n})
        if kind == Kind.GIFT:
            if tier.get("gift_sku") is None or (tier.get("gift_quantity") or 0) < 1:
                problems.append(_("Tier %(n)s: choose the gift and how many.") % {"n": n})
            continue
        if kind == Kind.FREE_SHIPPING:
            continue
        if kind == Kind.THRESHOLD_OFF or (kind == Kind.NEW_CUSTOMER and percent is None):
            if off is None or off <= 0:
                problems.append(_("Tier %(n)s: give the money it takes off.") % {"n": n})
            elif basis == Promotion.Basis.AMOUNT and threshold > 0 and off >= threshold:
                problems.append(
                    _("Tier %(n)s: it cannot take off as much as its threshold.") % {"n": n}
                )
            elif (
                previous is not None
                and previous.get("amount_off")
                and off <= previous["amount_off"]
            ):
                problems.append(_("Tier %(n)s: a higher tier must give more.") % {"n": n})
        else:
            if percent is None or not 0 < percent < 100:
                problems.append(
                    _("Tier %(n)s: give a percentage off between 0 and 100.") % {"n": n}
                )
            elif (
                previous is not None
                and previous.get("percent_off")
                and percent <= previous["percent_off"]
            ):
                problems.append(_("Tier %(n)s: a higher tier must give more.") % {"n": n})
        if kind in (Kind.THRESHOLD_OFF, Kind.THRESHOLD_PERCENT) and threshold <= 0:
            problems.append(_("Tier %(n)s: a threshold above zero.") % {"n": n})
        previous = tier
    return problems


def promotion_problems(data: dict, tiers: list[dict], *, new: bool = False) -> list[str]:
    """Every reason the promotion described cannot be saved or submitted (empty when it
    can), by its type's needs: tiers that make sense, a percentage between 0 and 100, a
    promotion price only for chosen products and below their prices (a promotion never
    raises a price), a period that ends after it starts and in the future."""
    problems = []
    kind = data.get("kind")
    if not (data.get("name") or "").strip():
        problems.append(_("Give the promotion a name."))
    if kind not in Kind.values:
        return [*problems, _("Choose the type of promotion.")]
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is None or ends is None:
        problems.append(_("Give the start and the end."))
    elif ends <= starts:
        problems.append(_("The promotion must end after it starts."))
    elif ends <= timezone.now():
        problems.append(_("The promotion must end in the future."))
    percent, fixed = data.get("percent_off"), data.get("fixed_price")
    if kind == Kind.TIMED_DISCOUNT:
        if (percent is None) == (fixed is None):
            problems.append(_("Give either a percentage off or a promotion price."))
        elif percent is not None and not 0 < percent < 100:
            problems.append(_("The percentage off is between 0 and 100."))
        elif fixed is not None:
            problems += _fixed_price_problems(fixed, data.get("products") or [])
    if kind == Kind.BUY_GET and not (
        (data.get("buy_quantity") or 0) >= 1 and (data.get("free_quantity") or 0) >= 1
    ):
        problems.append(_("Say how many to buy and how many come free."))
    if kind == Kind.NTH_ITEM:
        if (data.get("nth") or 0) < 2:
            problems.append(_("The discounted item is the 2nd or later."))
        if percent is None or not 0 < percent <= 99:
            problems.append(_("Give the percentage off the discounted item."))
    if data.get("repeatable") and kind not in (Kind.THRESHOLD_OFF,):
        problems.append(_("Only spend-and-save promotions repeat for every threshold."))
    cap = data.get("cap")
    if cap is not None and cap <= 0:
        problems.append(_("The most it takes off is above zero."))
    problems += _tiers_problems(kind, data.get("basis"), data.get("repeatable"), tiers)
    return problems


def _fixed_price_problems(fixed, products) -> list[str]:
    if not products:
        return [_("A promotion price is for chosen products: choose them.")]
    skus = SKU.objects.filter(product__in=products, is_active=True).values_list("pk", flat=True)
    priced = skus_to_order(list(skus))
    over = sorted(
        str(sku) for sku in priced.values() if sku.price is not None and fixed >= sku.price
    )
    if over:
        return [
            _("A promotion never raises a price: %(skus)s cost %(price)s or less already.")
            % {"skus": "、".join(over[:5]), "price": fixed}
        ]
    return []


def depth_of(promotion: Promotion, tiers: list[PromotionTier]) -> Decimal:
    """The largest share of a price the rule can take off (1 = all of it): what the
    approval depth is compared with. A reduction without a threshold, or a gift counted in
    items, has nothing to weigh it against: 1, so a second operator always looks."""
    kind = promotion.kind
    shares = [Decimal(0)]
    if kind == Kind.TIMED_DISCOUNT:
        if promotion.percent_off is not None:
            shares.append(promotion.percent_off / 100)
        else:
            skus = SKU.objects.filter(product__in=promotion.products.all()).values_list(
                "pk", flat=True
            )
            for sku in skus_to_order(list(skus)).values():
                if sku.price:
                    shares.append(1 - min(promotion.fixed_price, sku.price) / sku.price)
    elif kind == Kind.BUY_GET:
        shares.append(
            Decimal(promotion.free_quantity) / (promotion.buy_quantity + promotion.free_quantity)
        )
    elif kind == Kind.NTH_ITEM:
        shares.append((promotion.percent_off or 0) / 100 / promotion.nth)
    elif kind == Kind.GIFT:
        gifts = skus_to_order([t.gift_sku_id for t in tiers])
        for tier in tiers:
            value = (
                (gifts[tier.gift_sku_id].price or 0) * tier.gift_quantity
                if tier.gift_sku_id in gifts
                else 0
            )
            if promotion.basis == Promotion.Basis.QUANTITY or tier.threshold <= 0:
                shares.append(ONE if value else Decimal(0))
            else:
                shares.append(value / tier.threshold)
    elif kind != Kind.FREE_SHIPPING:
        for tier in tiers:
            if tier.percent_off is not None:
                shares.append(tier.percent_off / 100)
            elif promotion.basis == Promotion.Basis.QUANTITY or tier.threshold <= 0:
                shares.append(ONE)
            else:
                shares.append((tier.amount_off or 0) / tier.threshold)
    return min(max(shares), ONE).quantize(Decimal("0.0001"))


@transaction.atomic
def save_promotion(
    *, data: dict, tiers: list[dict], actor, promotion: Promotion | None = None
) -> Promotion:
    """Create a draft promotion from ``data`` (its fields and scope, as the admin form
    gives them) and ``tiers`` (dicts of threshold, amount_off, percent_off, gift_sku,
    gift_quantity), or change a draft. Only drafts change: a submitted promotion is
    withdrawn to a draft first. Raises ``PromotionInvalid`` with every problem; nothing is
    written then."""
    if promotion is not None and promotion.status != Promotion.Status.DRAFT:
        raise PromotionInvalid([_("Only a draft can be changed: withdraw it first.")])
    data = {**data}
    for name in ("cap", "percent_off", "fixed_price"):
        if name in data:
            data[name] = _money(data[name]) if name != "percent_off" else data[name]
    tiers = [
        {**tier, "threshold": _money(tier.get("threshold")) or Decimal("0.00")}
        for tier in tiers
        if any(
            tier.get(name) not in (None, "")
            for name in ("threshold", "amount_off", "percent_off", "gift_sku")
        )
    ]
    problems = promotion_problems(data, tiers, new=promotion is None)
    if problems:
        raise PromotionInvalid(problems)
    promotion = promotion or Promotion(created_by=actor)
    for name in FIELDS:
        if name in data:
            setattr(promotion, name, data[name])
    if promotion.kind != Promotion.Kind.TIMED_DISCOUNT:
        promotion.fixed_price = None
    promotion.save()
    for name in SCOPE:
        if name in data:
            getattr(promotion, name).set(data[name])
    promotion.tiers.all().delete()
    rewards = promotion.kind not in (Kind.GIFT, Kind.FREE_SHIPPING)
    PromotionTier.objects.bulk_create(
        PromotionTier(
            promotion=promotion,
            threshold=tier["threshold"],
            amount_off=_money(tier.get("amount_off")) if rewards else None,
            percent_off=tier.get("percent_off") if rewards else None,
            gift_sku=tier.get("gift_sku") if promotion.kind == Kind.GIFT else None,
            gift_quantity=tier.get("gift_quantity") or 1,
        )
        for tier in tiers
    )
    return promotion
