"""What the shopper reads about a rule, as labels (message id + parameters, rendered in
the reader's language): its name by kind ("满199减20"), and the hint of what to add to
reach the next tier ("再买¥31.00可减¥50")."""

from decimal import Decimal

from django.utils.translation import gettext_noop

from mall.labels import Label, Rate
from mall.money import format_money, plain_number, to_money

from . import rules as r


def figure(value: Decimal) -> str:
    """A threshold as a person writes it: "199" (money) or "2" (items)."""
    return plain_number(value)


def money_figure(value: Decimal) -> str:
    """Money in a rule's name: "¥50" for 50.00, "¥9.90" otherwise."""
    value = to_money(value)
    return format_money(value)[:-3] if value == value.to_integral_value() else format_money(value)


def tier_label(rule: r.Rule, tier: r.Tier) -> Label:
    """The name of one tier of a rule: "满199减20", "满2件打9折", "满299送紫砂杯"."""
    quantity = rule.basis == r.QUANTITY
    threshold = figure(tier.threshold)
    if rule.kind == r.GIFT:
        if quantity:
            return Label(gettext_noop("Buy %(count)s, get a gift"), count=threshold)
        if tier.threshold <= 0:
            return Label(gettext_noop("A gift with every order"))
        return Label(gettext_noop("Spend %(threshold)s, get a gift"), threshold=threshold)
    if rule.kind == r.FREE_SHIPPING:
        if tier.threshold <= 0:
            return Label(gettext_noop("Free shipping"))
        if quantity:
            return Label(gettext_noop("Free shipping from %(count)s items"), count=threshold)
        return Label(gettext_noop("Free shipping from %(threshold)s"), threshold=threshold)
    if tier.percent_off is not None:
        rate = Rate(tier.percent_off)
        if quantity:
            return Label(gettext_noop("Buy %(count)s, %(rate)s"), count=threshold, rate=rate)
        if tier.threshold <= 0:
            return Label(gettext_noop("%(rate)s on everything"), rate=rate)
        return Label(gettext_noop("Spend %(threshold)s, %(rate)s"), threshold=threshold, rate=rate)
    amount = figure(tier.amount_off or 0)
    if quantity:
        return Label(gettext_noop("Buy %(count)s, save %(amount)s"), count=threshold, amount=amount)
    if tier.threshold <= 0:
        return Label(gettext_noop("%(amount)s off"), amount=money_figure(tier.amount_off or 0))
    return Label(
        gettext_noop("Spend %(threshold)s, save %(amount)s"), threshold=threshold, amount=amount
    )


def rule_label(rule: r.Rule, tier: r.Tier | None = None) -> Label:
    """The name of a rule as applied (with the tier reached, when it has tiers)."""
    if rule.kind == r.TIMED_DISCOUNT:
        if rule.fixed_price is not None:
            return Label(
                gettext_noop("Limited-time price %(price)s"),
                price=money_figure(rule.fixed_price),
            )
        return Label(gettext_noop("Limited-time %(rate)s"), rate=Rate(rule.percent_off or 0))
    if rule.kind == r.BUY_GET:
        return Label(
            gettext_noop("Buy %(buy)s, get %(free)s free"),
            buy=str(rule.buy_quantity),
            free=str(rule.free_quantity),
        )
    if rule.kind == r.NTH_ITEM:
        if rule.nth == 2 and rule.percent_off == 50:
            return Label(gettext_noop("Second item half price"))
        return Label(
            gettext_noop("Item no. %(nth)s at %(rate)s"),
            nth=str(rule.nth),
            rate=Rate(rule.percent_off or 0),
        )
    if rule.kind in (r.AMOUNT_OFF, r.PERCENT_OFF):
        return coupon_label(rule)
    if rule.repeatable and rule.tiers:
        first = rule.tiers[0]
        label = Label(
            gettext_noop("Save %(amount)s for every %(threshold)s"),
            amount=figure(first.amount_off or 0),
            threshold=figure(first.threshold),
        )
        if rule.cap is not None:
            return Label(gettext_noop("%(rule)s, up to %(cap)s"), rule=label, cap=figure(rule.cap))
        return label
    tier = tier or (rule.tiers[0] if rule.tiers else r.Tier())
    label = tier_label(rule, tier)
    if rule.kind == r.NEW_CUSTOMER:
        return Label(gettext_noop("New customers: %(rule)s"), rule=label)
    return label


def coupon_label(rule: r.Rule) -> Label:
    """A coupon among other discounts (cart, order, hints): "Coupon: 满100减10"."""
    return Label(gettext_noop("Coupon: %(rule)s"), rule=coupon_terms(rule))


def coupon_terms(rule: r.Rule) -> Label:
    """A coupon's terms alone: "满100减10", "9折, up to 50"."""
    if rule.kind == r.PERCENT_OFF:
        what = Label(
            gettext_noop("%(rate)s from %(threshold)s")
            if rule.threshold > 0
            else gettext_noop("%(rate)s"),
            rate=Rate(rule.percent_off or 0),
            **({"threshold": figure(rule.threshold)} if rule.threshold > 0 else {}),
        )
        if rule.cap is not None:
            what = Label(gettext_noop("%(rule)s, up to %(cap)s"), rule=what, cap=figure(rule.cap))
    elif rule.threshold > 0:
        what = Label(
            gettext_noop("Spend %(threshold)s, save %(amount)s"),
            threshold=figure(rule.threshold),
            amount=figure(rule.tiers[0].amount_off if rule.tiers else 0),
        )
    else:
        what = Label(
            gettext_noop("%(amount)s off"),
            amount=money_figure(rule.tiers[0].amount_off if rule.tiers else 0),
        )
    return what


def next_tier_hint(rule: r.Rule, tier: r.Tier, gap: Decimal) -> Label:
    """What to add to reach ``tier``: "再买¥31.00可减¥50", "再买1件打9折"."""
    if rule.basis == r.QUANTITY:
        count = figure(gap)
        if rule.kind == r.GIFT:
            return Label(gettext_noop("Buy %(count)s more to get a gift"), count=count)
        if rule.kind == r.FREE_SHIPPING:
            return Label(gettext_noop("Buy %(count)s more for free shipping"), count=count)
        if tier.percent_off is not None:
            return Label(
                gettext_noop("Buy %(count)s more for %(rate)s"),
                count=count,
                rate=Rate(tier.percent_off),
            )
        return Label(
            gettext_noop("Buy %(count)s more to save %(amount)s"),
            count=count,
            amount=money_figure(tier.amount_off or 0),
        )
    gap = to_money(gap)
    if rule.kind == r.GIFT:
        return Label(gettext_noop("Add %(gap)s more to get a gift"), gap=gap)
    if rule.kind == r.FREE_SHIPPING:
        return Label(gettext_noop("Add %(gap)s more for free shipping"), gap=gap)
    if tier.percent_off is not None:
        return Label(
            gettext_noop("Add %(gap)s more for %(rate)s"), gap=gap, rate=Rate(tier.percent_off)
        )
    return Label(
        gettext_noop("Add %(gap)s more to save %(amount)s"),
        gap=gap,
        amount=money_figure(tier.amount_off or 0),
    )


def repeat_hint(rule: r.Rule, gap: Decimal, amount: Decimal) -> Label:
    return Label(
        gettext_noop("Add %(gap)s more to save %(amount)s more"),
        gap=to_money(gap),
        amount=money_figure(amount),
    )


def coupon_hint(rule: r.Rule, gap: Decimal) -> Label:
    return Label(
        gettext_noop("Add %(gap)s more to use %(coupon)s"),
        gap=to_money(gap),
        coupon=coupon_label(rule),
    )
