"""After a partial return, the rules an order was priced with are applied again to what
it keeps: the same rules as they were then (``AppliedOffer``), each on the lines it
covered, the same coupon. What a source no longer earns, and the value of a gift kept
while its threshold is no longer reached, is kept back from the refund (the policy is
``orders.services.aftersales.refund_due``)."""

from decimal import Decimal

from django.utils.translation import gettext_noop

from mall.labels import Label
from mall.money import to_money
from orders.services.aftersales import Recheck

from ...models import AppliedOffer
from . import engine
from . import rules as r
from .labels import coupon_label, rule_label
from .source import item_of


class _Line:
    """An order line as ``item_of`` reads a priced line."""

    def __init__(self, line, units):
        self.sku, self.unit_price, self.quantity = line.sku, line.unit_price, units


def recheck(*, order, kept: dict[int, int]) -> Recheck | None:
    offers = list(AppliedOffer.objects.filter(order=order).order_by("pk"))
    if not offers:
        return None
    rules = {offer.source: r.Rule.from_json(offer.rule) for offer in offers}
    covered = {offer.source: set(offer.skus) for offer in offers}
    order_lines = list(
        order.lines.select_related("sku__product").prefetch_related("discounts").order_by("pk")
    )
    promotable = set().union(*covered.values())
    items = [
        item_of(_Line(line, kept.get(line.pk, 0)), promotable=line.sku_id in promotable)
        for line in order_lines
        if not line.is_gift
    ]
    covering = {
        item.sku_id: [
            rule
            for key, rule in rules.items()
            if not key.startswith("coupon:") and item.sku_id in covered[key]
        ]
        for item in items
    }
    coupon_key = next((key for key in rules if key.startswith("coupon:")), None)
    offers_ = []
    if coupon_key:
        offers_.append(
            engine.CouponOffer(coupon_id=int(coupon_key.split(":")[1]), rule=rules[coupon_key])
        )
    gift_skus = {t.gift_sku_id for rule in rules.values() for t in rule.tiers if t.gift_sku_id}
    quote = engine.quote(
        items,
        covering,
        coupons=offers_,
        choice=offers_[0].coupon_id if offers_ else engine.NONE,
        gift_stock=dict.fromkeys(gift_skus, 10**9),
    )
    earned = {key: to_money(0) for key, rule in rules.items() if rule.kind != r.GIFT}
    for applied in quote.goods_discounts:
        key = coupon_key if applied.rule.group == r.COUPON else applied.rule.key
        if key in earned:
            earned[key] = applied.amount
    # What each source was allocated on the kept units: where the rules now give less,
    # the refund's note says so.
    allocated: dict[str, Decimal] = {}
    for line in order_lines:
        units = kept.get(line.pk, 0)
        for part in line.discounts.all():
            allocated[part.source] = (
                allocated.get(part.source, 0) + part.amount * units / line.quantity
            )
    # Named as the order showed it (the tier reached then, "满399减50"), not by the
    # rule's first tier.
    shown = {d.source: Label.from_json(d.label) for d in order.discounts.all()}
    notes = []
    for key, amount in earned.items():
        short = to_money(allocated.get(key, 0)) - amount
        if short > 0:
            rule = rules[key]
            name = shown.get(key) or (
                coupon_label(rule) if rule.group == r.COUPON else rule_label(rule)
            )
            notes.append(
                Label(
                    gettext_noop(
                        "What you keep no longer earns “%(rule)s” in full: %(amount)s of "
                        "it is kept back."
                    ),
                    rule=name,
                    amount=short,
                )
            )
    given = {(a.rule.key, a.gift.gift_sku_id) for a in quote.gifts}
    gift_charge = to_money(0)
    for line in order_lines:
        units = kept.get(line.pk, 0)
        if not line.is_gift or units <= 0 or line.gift_source not in rules:
            continue
        if (line.gift_source, line.sku_id) not in given:
            gift_charge += line.gift_value * units
            notes.append(
                Label(
                    gettext_noop(
                        "The gift %(gift)s stays with you although what you keep no longer "
                        "reaches its threshold: its value %(value)s is kept back."
                    ),
                    gift=line.product_name,
                    value=to_money(line.gift_value * units),
                )
            )
    return Recheck(earned=earned, gift_charge=gift_charge, notes=tuple(notes))
