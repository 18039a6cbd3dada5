"""Membership and points at checkout, as discount sources of orders (registered after the
promotions in ``MarketingConfig.ready``, so they apply to what promotions left):

``loyalty_pricing`` answers, in this order:

- the tier's member percentage off the goods (its own source ``member:<tier>``, shared
  over the lines in proportion) and its free-shipping threshold for standard delivery;
- the shopper's choice to pay part of the goods with points (rate and maximum share from
  settings), a goods discount ``points`` allocated to the lines like any other, so a
  partial refund gives back the points of the units refunded.

Queries per quote: one for a signed-in shopper (tier and balance together), none for a
guest.
"""

from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_noop

from mall.labels import Label, Rate
from mall.money import CENT, ZERO, to_money
from orders.services import checkout

from ...models import Membership, PointsAccount, Tier
from .points import POINTS_SOURCE, balance_of, money_for, points_for, redeem_for_order

POINTS_CHOICE = checkout.register_choice("points")
USE = "use"
NONE = "none"


def member_profile(user) -> tuple[Tier | None, int]:
    """The tier ``user`` holds (the entry tier without a membership yet) and their points
    balance, in one query (two when no tier is configured: points work without tiers);
    (None, 0) for a guest."""
    if user is None or not user.is_authenticated:
        return None, 0
    held = Membership.objects.filter(user_id=user.pk).values("tier_id")[:1]
    entry = Tier.objects.order_by("rank").values("pk")[:1]
    balance = PointsAccount.objects.filter(user_id=user.pk).values("balance")[:1]
    tier = (
        Tier.objects.annotate(points=Coalesce(Subquery(balance), 0))
        .filter(pk=Coalesce(Subquery(held), Subquery(entry)))
        .first()
    )
    if tier is None:
        return None, balance_of(user)
    return tier, tier.points


def loyalty_pricing(context: checkout.PricingContext) -> checkout.Pricing:
    """The member's discounts on what the promotions left, in this order: the tier's
    percentage off the goods, its free shipping, then points when the shopper chose them
    (never more than ``MALL_POINTS_MAX_SHARE`` of what is left then). One query."""
    if context.user is None or not context.user.is_authenticated or not context.lines:
        return checkout.Pricing()
    tier, balance = member_profile(context.user)
    left = context.goods_total if context.goods_left is None else context.goods_left
    discounts = []
    if tier is not None and tier.member_discount_percent > 0 and left > 0:
        amount = to_money(left * tier.member_discount_percent / 100)
        if amount > 0:
            left -= amount
            discounts.append(
                checkout.Discount(
                    source=f"member:{tier.code}",
                    label=Label(
                        gettext_noop("%(tier)s member price: %(rate)s"),
                        tier=str(tier),
                        rate=Rate(tier.member_discount_percent),
                    ),
                    amount=amount,
                )
            )
    if (
        tier is not None
        and tier.free_shipping_over is not None
        and context.method == "standard"
        and context.goods_total >= tier.free_shipping_over
        and context.shipping_fee > 0
    ):
        discounts.append(
            checkout.Discount(
                source=f"member-shipping:{tier.code}",
                label=Label(
                    gettext_noop("%(tier)s: free shipping from %(amount)s"),
                    tier=str(tier),
                    amount=tier.free_shipping_over,
                ),
                amount=context.shipping_fee,
                kind=checkout.SHIPPING,
            )
        )
    points, choices = _points(context, balance, left)
    return checkout.Pricing(discounts=(*discounts, *points), choices=choices)


def usable_points(balance: int, goods_left: Decimal) -> tuple[int, Decimal]:
    """The most points a cart may take and what they pay: at most the balance and at most
    ``MALL_POINTS_MAX_SHARE`` of the goods left after the other discounts."""
    cap = (goods_left * Decimal(settings.MALL_POINTS_MAX_SHARE)).quantize(CENT, ROUND_DOWN)
    amount = min(money_for(balance), cap)
    if amount <= 0:
        return 0, ZERO
    return points_for(amount), amount


def _points(context, balance: int, left: Decimal) -> tuple[tuple, tuple]:
    """The points discount (when chosen) and the choice offered."""
    points, amount = usable_points(balance, left)
    if points <= 0:
        return (), ()
    chosen = (context.choices.get(POINTS_CHOICE) or [NONE])[0] == USE
    choice = checkout.Choice(
        name=POINTS_CHOICE,
        title=Label(gettext_noop("Pay with points (%(balance)s points)"), balance=str(balance)),
        options=(
            checkout.Option(
                value=USE,
                label=Label(gettext_noop("Use %(points)s points"), points=str(points)),
                note=Label(gettext_noop("saves %(amount)s"), amount=amount),
                selected=chosen,
            ),
            checkout.Option(
                value=NONE, label=Label(gettext_noop("Keep my points")), selected=not chosen
            ),
        ),
    )
    if not chosen:
        return (), (choice,)
    discount = checkout.Discount(
        source=POINTS_SOURCE,
        label=Label(
            gettext_noop("%(points)s points: %(amount)s off"), points=str(points), amount=amount
        ),
        amount=amount,
    )
    return (discount,), (choice,)


def on_placed(*, order, totals, user) -> None:
    """The placement takes the points its "points" discount used (refused when another
    checkout spent them first)."""
    for discount in totals.discounts:
        if discount.source == POINTS_SOURCE:
            redeem_for_order(order=order, amount=discount.amount, user=user)
