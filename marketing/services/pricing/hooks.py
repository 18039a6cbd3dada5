"""Where marketing plugs into orders (registered in ``MarketingConfig.ready``; orders
never imports marketing):

- pricing: ``price_cart`` (promotions, the coupon, the choices of coupon and gift cards)
  and ``gift_card_payment`` (gift cards pay part of the total);
- placement (``on_placed``, in the order's transaction): the coupon is locked to the order,
  the gift cards' balance taken, and the rules as applied kept for later re-checks;
- cancellation (``on_cancelled``): the coupon and the gift cards' balance come back;
- after-sales: the rules re-checked on what the order keeps (``rechecks.recheck``), the
  gift-card part of a refund back on the cards, the coupon back after a full refund when
  its template says so.
"""

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from orders.services import aftersales, checkout, ordering, payments

from ...models import AppliedOffer, Coupon, FlashSale
from .. import campaigns, coupons, giftcards, loyalty
from ..loyalty import pricing as loyalty_pricing
from . import catalogue, rechecks, source


def on_placed(*, order, totals, user) -> None:
    """Lock the coupon, spend the gift cards, keep the rules as applied."""
    coupon_ids = [
        int(d.source.split(":")[1]) for d in totals.discounts if d.source.startswith("coupon:")
    ]
    for coupon_id in coupon_ids:
        coupons.lock_for_order(order=order, coupon_id=coupon_id, user=user)
    if totals.stored_value:
        giftcards.spend_for_order(order=order, uses=totals.stored_value, user=user)
    _keep_rules(order, totals, coupon_ids)
    costs = campaign_costs(totals, coupon_ids)
    if costs:
        campaigns.book_for_order(order=order, costs=costs, user=user)


def campaign_costs(totals, coupon_ids) -> dict[int, dict[str, Decimal]]:
    """What each campaign's rules gave the order (campaign id -> source -> amount): goods
    and shipping discounts, and the value of gifts with purchase."""
    rule_set = catalogue.current()
    templates = {}
    if coupon_ids and any(rule.campaign_id for rule in rule_set.templates.values()):
        templates = dict(Coupon.objects.filter(pk__in=coupon_ids).values_list("pk", "template_id"))
    costs: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def rule_of(key):
        if key.startswith("coupon:"):
            return rule_set.templates.get(templates.get(int(key.split(":")[1])))
        return rule_set.by_key.get(key)

    for discount in totals.discounts:
        rule = rule_of(discount.source)
        if rule is not None and rule.campaign_id:
            costs[rule.campaign_id][discount.source] += discount.amount
    for gift in totals.gifts:
        rule = rule_of(gift.source)
        if rule is not None and rule.campaign_id:
            costs[rule.campaign_id][f"{gift.source}:gift"] += gift.value * gift.quantity
    _flash_sale_costs(totals, costs)
    return {campaign: dict(sources) for campaign, sources in costs.items()}


def _flash_sale_costs(totals, costs) -> None:
    """A flash-priced line of a campaign's sale gives the list price less the flash
    price (one query, only when the order has flash-priced lines)."""
    special = {line.sku.pk: line for line in totals.lines if line.special}
    if not special:
        return
    now = timezone.now()
    sales = FlashSale.objects.filter(
        sku_id__in=special, campaign__isnull=False, starts_at__lte=now, ends_at__gt=now
    ).values_list("pk", "sku_id", "campaign_id")
    for sale_id, sku_id, campaign_id in sales:
        line = special[sku_id]
        list_price = getattr(line.sku, "price", None)
        if list_price is not None and list_price > line.unit_price:
            saving = (list_price - line.unit_price) * line.quantity
            costs[campaign_id][f"flash-sale:{sale_id}"] += saving


def _keep_rules(order, totals, coupon_ids) -> None:
    rule_set = catalogue.current()
    templates = dict(Coupon.objects.filter(pk__in=coupon_ids).values_list("pk", "template_id"))
    rows = {}
    for discount in totals.discounts:
        if discount.kind != checkout.GOODS:
            continue
        if discount.source.startswith("coupon:"):
            rule = rule_set.templates.get(templates.get(int(discount.source.split(":")[1])))
        else:
            rule = rule_set.by_key.get(discount.source)
        if rule is not None:
            rows[discount.source] = (rule, sorted(discount.shares or {}))
    for gift in totals.gifts:
        rule = rule_set.by_key.get(gift.source)
        if rule is not None and gift.source not in rows:
            covered = [
                line.sku.pk
                for line in totals.lines
                if not line.special and rule.scope.covers(source.item_of(line))
            ]
            rows[gift.source] = (rule, covered)
    AppliedOffer.objects.bulk_create(
        AppliedOffer(order=order, source=key, rule=rule.to_json(), skus=skus)
        for key, (rule, skus) in rows.items()
    )


def on_cancelled(*, order) -> None:
    coupons.release_for_order(order=order, reason="cancelled")
    giftcards.release_for_order(order=order)
    campaigns.release_for_order(order=order)


def refund_to_cards(*, order, amount, key, reason=""):
    return giftcards.refund_to_cards(order=order, amount=amount, key=key, reason=reason)


def full_refund(*, order) -> None:
    coupons.return_on_full_refund(order=order)


def register() -> None:
    checkout.register_discount_source(source.price_cart)
    checkout.register_stored_value_source(source.gift_card_payment)
    ordering.register_placement_hook(on_placed)
    ordering.register_cancel_hook(on_cancelled)
    aftersales.register_refund_recheck(rechecks.recheck)
    aftersales.register_stored_value_refund(refund_to_cards)
    aftersales.register_full_refund_hook(full_refund)
    # Membership and points price what the promotions left, so they register after them.
    checkout.register_discount_source(loyalty_pricing.loyalty_pricing)
    ordering.register_placement_hook(loyalty_pricing.on_placed)
    ordering.register_cancel_hook(loyalty.release_for_order)
    aftersales.register_case_refund_hook(loyalty.reverse_for_case)
    payments.register_paid_hook(loyalty.on_order_paid)
