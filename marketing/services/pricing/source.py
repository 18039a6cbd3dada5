"""Marketing's discount source for orders: every cart, checkout and order is priced here
with the promotions in force and the shopper's coupons (``orders.services.checkout``
calls ``price_cart``), and gift cards pay part of the total (``gift_card_payment``).

Queries per quote, whatever the number of rules and lines: the rules' version (one), the
shopper's usable coupons (one, signed in), and only when the cart needs them: whether the
shopper is a new customer, the gifts' stock, and the flash sales of flash-priced lines.
"""

from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from catalog.selectors import skus_to_order
from mall.labels import Label
from mall.money import ZERO, to_money
from orders.models import SOLD, Order
from orders.services import checkout

from ...models import Coupon, FlashSale, GiftCard
from .. import campaigns
from . import catalogue, engine
from . import rules as r
from .labels import coupon_terms

COUPON_CHOICE = checkout.register_choice("coupon")
GIFT_CARD_CHOICE = checkout.register_choice("gift_card")


def item_of(line, *, promotable: bool = True) -> r.Item:
    product = line.sku.product
    return r.Item(
        sku_id=line.sku.pk,
        product_id=product.pk,
        category_id=product.category_id,
        brand=(product.brand or "").strip().lower(),
        supplier_id=product.supplier_id,
        unit_price=line.unit_price,
        quantity=line.quantity,
        promotable=promotable,
    )


def is_new_customer(user) -> bool:
    """No paid order yet (the first paid order is the new customer's)."""
    if user is None or not user.is_authenticated:
        return False
    return not Order.objects.filter(user=user, status__in=SOLD).exists()


def _stacking_sales(sku_ids, now) -> set[int]:
    """SKUs whose live flash sale combines with promotions."""
    return set(
        FlashSale.objects.filter(
            sku_id__in=sku_ids, stacks_with_promotions=True, starts_at__lte=now, ends_at__gt=now
        ).values_list("sku_id", flat=True)
    )


def wallet_offers(user, now, rule_set) -> list[engine.CouponOffer]:
    """The shopper's coupons usable now, as the engine reads them (one query)."""
    if user is None or not user.is_authenticated or not rule_set.templates:
        return []
    rows = (
        Coupon.objects.filter(user=user, status=Coupon.Status.AVAILABLE, valid_until__gt=now)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .values_list("pk", "template_id", "valid_until")
        .order_by("valid_until", "pk")
    )
    return [
        engine.CouponOffer(coupon_id=pk, rule=rule_set.templates[template], valid_until=until)
        for pk, template, until in rows
        if template in rule_set.templates
    ]


def _choice(context) -> str | int:
    chosen = context.choices.get(COUPON_CHOICE)
    if chosen is None:
        return engine.BEST
    if not chosen or chosen[0] == engine.NONE:
        return engine.NONE
    return chosen[0]


def quote_cart(lines, *, user, shipping_fee=ZERO, choice=engine.BEST, now=None, rule_set=None):
    """The engine's quote for priced ``lines`` (``orders.services.checkout.PricedLine``)
    of ``user``, with the rules in force ``now``; returns the quote and the gift SKUs it
    may give (id -> SKU with its price and stock)."""
    now = now or timezone.now()
    rule_set = rule_set or catalogue.current()
    specials = [line.sku.pk for line in lines if line.special]
    stacking = _stacking_sales(specials, now) if specials else set()
    items = [
        item_of(line, promotable=not line.special or line.sku.pk in stacking) for line in lines
    ]
    known: dict = {}

    def new_customer():
        if "new" not in known:
            known["new"] = is_new_customer(user)
        return known["new"]

    covering = {
        item.sku_id: rule_set.covering(item, now, new_customer=new_customer) for item in items
    }
    gift_ids = {
        tier.gift_sku_id
        for rules in covering.values()
        for rule in rules
        if rule.kind == r.GIFT
        for tier in rule.tiers
        if tier.gift_sku_id
    }
    gifts = skus_to_order(gift_ids) if gift_ids else {}
    gift_stock = {pk: sku.available for pk, sku in gifts.items() if sku.on_sale}
    offers = wallet_offers(user, now, rule_set)
    left = _campaign_budgets(covering, offers)

    def priced(excluded):
        return engine.quote(
            items,
            {
                sku: [rule for rule in rules if not _held_back(rule, left, excluded)]
                for sku, rules in covering.items()
            },
            coupons=[offer for offer in offers if not _held_back(offer.rule, left, excluded)],
            choice=choice,
            shipping_fee=shipping_fee,
            gift_stock=gift_stock,
        )

    excluded: set[int] = set()
    quote = priced(excluded)
    # A campaign whose budget cannot pay what its rules would give here gives nothing
    # (its rules stop granting at the cap); at most one more quote per such campaign.
    for _round in range(len(left) + 1):
        over = {
            campaign
            for campaign, cost in _campaign_spend(quote).items()
            if campaign not in excluded and cost > left.get(campaign, ZERO)
        }
        if not over:
            break
        excluded |= over
        quote = priced(excluded)
    return quote, gifts


def _campaign_budgets(covering, offers) -> dict[int, Decimal]:
    """What is left of the budget of the campaigns behind these rules that may grant
    (one query, none when no rule belongs to a campaign)."""
    ids = {rule.campaign_id for rules in covering.values() for rule in rules if rule.campaign_id}
    ids |= {offer.rule.campaign_id for offer in offers if offer.rule.campaign_id}
    return campaigns.granting(ids) if ids else {}


def _held_back(rule, left, excluded) -> bool:
    return rule.campaign_id is not None and (
        rule.campaign_id not in left or rule.campaign_id in excluded
    )


def _campaign_spend(quote) -> dict[int, Decimal]:
    spend: dict[int, Decimal] = {}
    applied = [*quote.plan.applied]
    if quote.coupon_applied is not None:
        applied.append(quote.coupon_applied)
    if quote.plan.shipping is not None:
        applied.append(quote.plan.shipping)
    for a in applied:
        if a.rule.campaign_id:
            spend[a.rule.campaign_id] = spend.get(a.rule.campaign_id, ZERO) + a.value
    return spend


def _waivable_fee(context) -> Decimal:
    """What free shipping waives: the fee without a remote province's surcharge."""
    plain = checkout.shipping_fee(
        goods_total=context.goods_total, province="", method=context.method
    )
    return min(plain, context.shipping_fee)


def coupon_source(offer) -> str:
    return f"coupon:{offer.coupon_id}"


def price_cart(context: checkout.PricingContext) -> checkout.Pricing:
    """The promotions and the coupon a cart earns, for ``compute_totals``, and the
    choices of coupon and gift cards offered."""
    if not context.lines:
        return checkout.Pricing()
    rule_set = catalogue.current()
    quote, gift_skus = quote_cart(
        context.lines,
        user=context.user,
        shipping_fee=_waivable_fee(context),
        choice=_choice(context),
        rule_set=rule_set,
    )
    discounts = [
        checkout.Discount(
            source=a.rule.key if a.rule.group != r.COUPON else coupon_source(quote.coupon),
            label=a.label,
            amount=a.amount,
            shares=a.shares,
        )
        for a in quote.goods_discounts
    ]
    if quote.plan.shipping is not None:
        shipping = quote.plan.shipping
        discounts.append(
            checkout.Discount(
                source=shipping.rule.key,
                label=shipping.label,
                amount=shipping.shipping,
                kind=checkout.SHIPPING,
            )
        )
    gifts = [
        checkout.Gift(
            source=a.rule.key,
            sku=gift_skus[a.gift.gift_sku_id],
            quantity=a.gift.gift_quantity,
            value=to_money(a.gift.gift_value),
            label=a.label,
        )
        for a in quote.gifts
        if a.gift.gift_sku_id in gift_skus
    ]
    choices = []
    if quote.coupon_savings:
        choices.append(_coupon_choice(quote))
    if rule_set.has_gift_cards:
        choices.extend(_gift_card_choice(context))
    return checkout.Pricing(
        discounts=tuple(discounts),
        gifts=tuple(gifts),
        hints=tuple(quote.hints),
        choices=tuple(choices),
    )


def _coupon_choice(quote) -> checkout.Choice:
    """The wallet's coupons (soonest to expire first) with what each saves on this cart,
    the best one ticked unless the shopper chose; those it cannot use say why."""
    chosen = quote.coupon.coupon_id if quote.coupon else None
    options = []
    for offer in quote.offers:
        saving = quote.coupon_savings.get(offer.coupon_id)
        if saving is None:
            note = quote.coupon_hints.get(offer.coupon_id) or Label(
                gettext_noop("Not for the goods in this order")
            )
        else:
            note = Label(gettext_noop("saves %(amount)s"), amount=saving)
        options.append(
            checkout.Option(
                value=str(offer.coupon_id),
                label=Label(
                    gettext_noop("%(name)s · %(rule)s"),
                    name=offer.rule.name,
                    rule=coupon_terms(offer.rule),
                ),
                note=note,
                selected=offer.coupon_id == chosen,
                disabled=saving is None,
            )
        )
    options.append(
        checkout.Option(
            value=engine.NONE, label=Label(gettext_noop("No coupon")), selected=chosen is None
        )
    )
    return checkout.Choice(
        name=COUPON_CHOICE, title=Label(gettext_noop("Coupon")), options=tuple(options)
    )


# --- Gift cards pay part of the total ----------------------------------------------------------


def usable_cards(user):
    """The shopper's gift cards with a balance, soonest to expire first (one query)."""
    now = timezone.now()
    return (
        GiftCard.objects.filter(owner=user, status=GiftCard.Status.ACTIVE, balance__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("expires_at", "pk")
    )


def gift_card_payment(context: checkout.PricingContext, due: Decimal):
    """The gift cards the shopper ticked pay what they can of ``due``, in the order of
    the wallet. Nothing unless ticked: spending a balance is the shopper's choice."""
    user = context.user
    wanted = context.choices.get(GIFT_CARD_CHOICE) or []
    if user is None or not user.is_authenticated or not wanted or due <= 0:
        return []
    uses = []
    for card in usable_cards(user).filter(pk__in=[v for v in wanted if str(v).isdigit()]):
        amount = min(card.balance, due)
        if amount <= 0:
            break
        uses.append(
            checkout.StoredValueUse(
                source=f"giftcard:{card.pk}",
                label=Label(gettext_noop("Gift card %(card)s"), card=card.masked),
                amount=amount,
            )
        )
        due -= amount
    return uses


def _gift_card_choice(context: checkout.PricingContext) -> list[checkout.Choice]:
    """The shopper's gift cards as a choice at checkout (one query), none ticked unless
    the shopper ticked them."""
    user = context.user
    if user is None or not user.is_authenticated:
        return []
    wanted = set(context.choices.get(GIFT_CARD_CHOICE) or [])
    cards = list(usable_cards(user))
    if not cards:
        return []
    options = tuple(
        checkout.Option(
            value=str(card.pk),
            label=Label(gettext_noop("Gift card %(card)s"), card=card.masked),
            note=Label(gettext_noop("balance %(amount)s"), amount=card.balance),
            selected=str(card.pk) in wanted,
        )
        for card in cards
    )
    return [
        checkout.Choice(
            name=GIFT_CARD_CHOICE,
            title=Label(gettext_noop("Pay with a gift card")),
            options=options,
            multiple=True,
        )
    ]
