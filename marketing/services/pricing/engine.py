"""The pricing engine: the best combination of promotions and a coupon that the rules
allow for a cart, explained line by line, with the hint of what to add for more.

Pure: it takes the cart's items, the rules that cover each item (live now, for this
shopper), the coupons in the wallet and the shipping fee, and reads neither the database
nor the clock, so the same cart and rules always give the same answer.

How rules combine (the stacking groups, applied in this order):

1. **Item level** (限时折扣, 买N送M, 第N件X折): each line takes the one item rule that
   saves it most.
2. **Order level** (满减, 满折, 满赠, 新人专享): a line counts towards one order rule at
   most. Rules whose goods overlap compete: every order in which they could take their
   lines is tried (up to ``PERMUTATION_LIMIT`` rules in one overlapping group, beyond that
   the most valuable rule first) and the most valuable assignment wins. Thresholds count
   the lines' amounts after item discounts.
3. **Coupon**: one coupon per order, on the goods it covers after promotions (a coupon
   that does not combine with promotions covers only goods no promotion discounted, or
   the promotions give way on its goods, whichever saves more).
4. **Shipping** (包邮): any free-shipping rule whose threshold the goods reach waives the
   fee (a remote surcharge stays).

An **exclusive** rule takes its goods out of every other group. Exclusive rules are
tried one at a time against the plan without them; the plan that saves the shopper most
wins (money off plus the value of gifts). Every tie is broken by priority, then by the
older rule, so the answer is deterministic. Flash-sale lines (``promotable`` False) take
nothing.
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from mall.money import ZERO, allocate, to_money

from . import labels
from . import rules as r

BEST = "best"
NONE = "none"
PERMUTATION_LIMIT = 5
EXCLUSIVE_ALTERNATIVES = 6
HINT_LIMIT = 3

ORDER_KINDS = (r.THRESHOLD_OFF, r.THRESHOLD_PERCENT, r.GIFT, r.NEW_CUSTOMER)


@dataclass
class Applied:
    """One rule as applied: the money it takes off each line (SKU id -> amount), the
    tier reached, a gift, or the shipping it waives."""

    rule: r.Rule
    shares: dict[int, Decimal] = field(default_factory=dict)
    tier: r.Tier | None = None
    gift: r.Tier | None = None
    shipping: Decimal = ZERO
    lines: frozenset = frozenset()  # the lines it counted (its threshold's goods)

    @property
    def amount(self) -> Decimal:
        return sum(self.shares.values(), ZERO)

    @property
    def gift_value(self) -> Decimal:
        if self.gift is None:
            return ZERO
        return to_money(self.gift.gift_value * self.gift.gift_quantity)

    @property
    def value(self) -> Decimal:
        return self.amount + self.shipping + self.gift_value

    @property
    def label(self):
        return labels.rule_label(self.rule, self.tier)


@dataclass(frozen=True)
class CouponOffer:
    """A coupon in the shopper's wallet: its id, its template's rule and its end."""

    coupon_id: int
    rule: r.Rule
    valid_until: object = None


@dataclass
class Plan:
    applied: list[Applied] = field(default_factory=list)  # goods discounts, by group
    shipping: Applied | None = None
    amounts: dict[int, Decimal] = field(default_factory=dict)  # line amounts after it
    locked: frozenset = frozenset()  # lines an exclusive rule took
    taken: dict[str, frozenset] = field(default_factory=dict)  # order rule -> its lines

    @property
    def value(self) -> Decimal:
        return sum((a.value for a in self.applied), ZERO) + (
            self.shipping.value if self.shipping else ZERO
        )

    def value_on(self, lines) -> Decimal:
        """What the plan's goods discounts give on ``lines`` (gifts and free shipping of
        rules counting any of them too)."""
        value = ZERO
        for applied in self.applied:
            value += sum((part for sku, part in applied.shares.items() if sku in lines), ZERO)
            if applied.gift is not None and applied.lines & lines:
                value += applied.gift_value
        if self.shipping is not None and self.shipping.lines & lines:
            value += self.shipping.shipping
        return value

    @property
    def discounted(self) -> frozenset:
        return frozenset(sku for a in self.applied for sku, part in a.shares.items() if part)


@dataclass
class Quote:
    plan: Plan
    coupon: CouponOffer | None = None
    coupon_applied: Applied | None = None
    # Per coupon in the wallet: what choosing it saves beyond the promotions alone, or
    # None when it cannot be used on this cart (with the hint why, when a threshold).
    coupon_savings: dict[int, Decimal | None] = field(default_factory=dict)
    coupon_hints: dict[int, object] = field(default_factory=dict)
    hints: list = field(default_factory=list)
    offers: list[CouponOffer] = field(default_factory=list)  # the wallet, as weighed

    @property
    def goods_discounts(self) -> list[Applied]:
        applied = [a for a in self.plan.applied if a.amount > 0]
        if self.coupon_applied is not None and self.coupon_applied.amount > 0:
            applied.append(self.coupon_applied)
        return applied

    @property
    def gifts(self) -> list[Applied]:
        return [a for a in self.plan.applied if a.gift is not None]

    @property
    def saving(self) -> Decimal:
        coupon = self.coupon_applied.value if self.coupon_applied else ZERO
        return self.plan.value + coupon


# --- The engine ----------------------------------------------------------------------------


def quote(
    items: Sequence[r.Item],
    covering: Mapping[int, Sequence[r.Rule]],
    *,
    coupons: Iterable[CouponOffer] = (),
    choice: str | int = BEST,
    shipping_fee: Decimal = ZERO,
    gift_stock: Mapping[int, int] | None = None,
) -> Quote:
    """Price ``items`` with the promotion rules ``covering`` each (SKU id -> rules live
    now for this shopper whose scope covers the item) and one of ``coupons``: the best
    (``BEST``), none (``NONE``) or the coupon of that id when it can be used (else none).
    ``shipping_fee`` is what free shipping would waive; ``gift_stock`` the units free of
    each gift SKU (a gift out of stock is not promised)."""
    items = [item for item in items if item.quantity > 0]
    by_sku = {item.sku_id: item for item in items}
    covering = {
        sku: sorted(set(rules), key=lambda rule: rule.sort_key)
        for sku, rules in covering.items()
        if sku in by_sku and by_sku[sku].promotable
    }
    context = _Context(by_sku, covering, shipping_fee, gift_stock or {})
    plan = _best_promotions(context)
    coupons = sorted(coupons, key=lambda c: (c.valid_until is None, c.valid_until, c.coupon_id))
    result = Quote(plan=plan, offers=coupons)
    best: tuple | None = None
    for offer in coupons:
        options = [(plan, _coupon(offer.rule, plan, context))]
        if not offer.rule.stackable:
            withheld = frozenset(
                sku
                for sku, item in by_sku.items()
                if item.promotable and offer.rule.scope.covers(item)
            )
            # Letting the promotions give way on its goods can only pay when the coupon
            # could give more than they do there.
            if _coupon_ceiling(offer.rule, withheld, context) > plan.value_on(withheld):
                alternative = _best_promotions(context, withheld=withheld)
                options.append((alternative, _coupon(offer.rule, alternative, context)))
        options = [(p, applied) for p, applied in options if applied is not None]
        if not options:
            result.coupon_savings[offer.coupon_id] = None
            gap = _coupon_gap(offer.rule, plan, context)
            if gap is not None:
                result.coupon_hints[offer.coupon_id] = labels.coupon_hint(offer.rule, gap)
            continue
        chosen_plan, applied = max(options, key=lambda option: option[0].value + option[1].value)
        total = chosen_plan.value + applied.value
        result.coupon_savings[offer.coupon_id] = total - plan.value
        wanted = choice == BEST or str(choice) == str(offer.coupon_id)
        if wanted and (best is None or total > best[0]):
            best = (total, offer, chosen_plan, applied)
    if best is not None and choice != NONE:
        _total, offer, chosen_plan, applied = best
        result.plan, result.coupon, result.coupon_applied = chosen_plan, offer, applied
    result.hints = _hints(context, result)
    return result


class _Context:
    """The cart and its rules, indexed once per quote: the rules of each group and the
    lines each rule covers; plans already worked out, by the lines withheld."""

    def __init__(self, items, covering, shipping_fee, gift_stock):
        self.items: dict[int, r.Item] = items
        self.covering: dict[int, list[r.Rule]] = covering
        self.shipping_fee: Decimal = shipping_fee
        self.gift_stock: Mapping[int, int] = gift_stock
        lines: dict[r.Rule, set] = {}
        for sku, rules in covering.items():
            for rule in rules:
                lines.setdefault(rule, set()).add(sku)
        self._lines = {rule: frozenset(found) for rule, found in lines.items()}
        self._groups: dict[str, list[r.Rule]] = {}
        for rule in sorted(self._lines, key=lambda rule: rule.sort_key):
            self._groups.setdefault(rule.group, []).append(rule)
        self.plans: dict[frozenset, Plan] = {}

    def rules(self, group: str) -> list[r.Rule]:
        return self._groups.get(group, [])

    def lines_of(self, rule: r.Rule) -> frozenset:
        return self._lines.get(rule, frozenset())


def _best_promotions(context: _Context, *, withheld: frozenset = frozenset()) -> Plan:
    """The plan without exclusive rules, and with each exclusive rule in turn; the most
    valuable wins, the plan without on a tie. Worked out once per set of withheld lines
    (coupons that do not combine with promotions often cover the same goods)."""
    if withheld in context.plans:
        return context.plans[withheld]
    best = _promotions(context, withheld=withheld)
    exclusive = [
        rule
        for rule in context.rules(r.ITEM) + context.rules(r.ORDER)
        if rule.exclusive and context.lines_of(rule) - withheld
    ]
    for rule in exclusive[:EXCLUSIVE_ALTERNATIVES]:
        # Worth a plan of its own only when, alone, it gives more on its goods than the
        # plan without it gives there.
        lines = context.lines_of(rule) - withheld
        if _standalone(rule, lines, context) <= best.value_on(lines):
            continue
        plan = _promotions(context, withheld=withheld, forced=rule)
        if plan.value > best.value:
            best = plan
    context.plans[withheld] = best
    return best


def _promotions(context: _Context, *, withheld=frozenset(), forced: r.Rule | None = None) -> Plan:
    plan = Plan(amounts={sku: item.total for sku, item in context.items.items()})
    open_lines = frozenset(context.covering) - withheld
    if forced is not None:
        lines = context.lines_of(forced) & open_lines
        applied = (
            _item_rule(forced, lines, plan, context)
            if forced.group == r.ITEM
            else _order_rule(forced, lines, plan, context)
        )
        if applied is not None:
            _take(plan, applied)
            plan.locked = frozenset(applied.lines)
            if forced.group == r.ORDER:
                plan.taken[forced.key] = applied.lines
    open_lines -= plan.locked
    # Item level: each line its best rule.
    by_rule: dict[r.Rule, Applied] = {}
    for sku in sorted(open_lines):
        candidates = []
        for rule in context.covering[sku]:
            if rule.group != r.ITEM or rule.exclusive:
                continue
            saving = _item_saving(rule, context.items[sku])
            if saving > 0:
                candidates.append((saving, rule))
        if candidates:
            saving, rule = max(candidates, key=lambda c: (c[0], [-k for k in c[1].sort_key]))
            applied = by_rule.setdefault(rule, Applied(rule=rule))
            applied.shares[sku] = saving
            applied.lines |= {sku}
    for rule in sorted(by_rule, key=lambda rule: rule.sort_key):
        _take(plan, by_rule[rule])
    # Order level: the best assignment of lines to rules.
    rules = [rule for rule in context.rules(r.ORDER) if not rule.exclusive and rule is not forced]
    for applied in _assign(rules, open_lines, plan, context):
        _take(plan, applied)
        plan.taken[applied.rule.key] = applied.lines
    # Shipping: the first free-shipping rule reached.
    if context.shipping_fee > 0:
        for rule in context.rules(r.SHIPPING):
            lines = context.lines_of(rule) - plan.locked - withheld
            tier = _reached(rule, _measure(rule, lines, plan, context))
            if lines and tier is not None:
                plan.shipping = Applied(
                    rule=rule, tier=tier, shipping=context.shipping_fee, lines=lines
                )
                break
    return plan


def _take(plan: Plan, applied: Applied) -> None:
    for sku, part in applied.shares.items():
        plan.amounts[sku] -= part
    plan.applied.append(applied)


def _standalone(rule: r.Rule, lines, context) -> Decimal:
    """What ``rule`` alone gives on ``lines`` at their full prices."""
    plan = Plan(amounts={sku: item.total for sku, item in context.items.items()})
    if rule.group == r.ITEM:
        return sum((_item_saving(rule, context.items[sku]) for sku in lines), ZERO)
    return _value(_order_value(rule, lines, plan, context))


def _coupon_ceiling(rule: r.Rule, lines, context) -> Decimal:
    """The most a coupon could give on ``lines``, at their full prices."""
    base = sum((context.items[sku].total for sku in lines), ZERO)
    if rule.kind == r.PERCENT_OFF:
        ceiling = to_money(base * (rule.percent_off or 0) / 100)
    else:
        ceiling = rule.tiers[0].amount_off if rule.tiers else ZERO
    if rule.cap is not None:
        ceiling = min(ceiling, rule.cap)
    return min(ceiling or ZERO, base)


def _item_saving(rule: r.Rule, item: r.Item) -> Decimal:
    price, quantity = item.unit_price, item.quantity
    if rule.kind == r.TIMED_DISCOUNT:
        if rule.fixed_price is not None:
            now = min(rule.fixed_price, price)  # a promotion never raises a price
        else:
            now = to_money(price * (100 - (rule.percent_off or 0)) / 100)
        return to_money((price - now) * quantity)
    if rule.kind == r.BUY_GET and rule.buy_quantity and rule.free_quantity:
        free = quantity // (rule.buy_quantity + rule.free_quantity) * rule.free_quantity
        return to_money(price * free)
    if rule.kind == r.NTH_ITEM and rule.nth >= 2:
        return to_money(price * (rule.percent_off or 0) / 100) * (quantity // rule.nth)
    return ZERO


def _item_rule(rule, lines, plan, context) -> Applied | None:
    applied = Applied(rule=rule)
    for sku in sorted(lines):
        saving = _item_saving(rule, context.items[sku])
        if saving > 0:
            applied.shares[sku] = saving
            applied.lines |= {sku}
    return applied if applied.shares else None


def _measure(rule: r.Rule, lines, plan: Plan, context: _Context) -> Decimal:
    if rule.basis == r.QUANTITY:
        return Decimal(sum(context.items[sku].quantity for sku in lines))
    return sum((plan.amounts[sku] for sku in lines), ZERO)


def _reached(rule: r.Rule, measure: Decimal) -> r.Tier | None:
    reached = None
    for tier in rule.tiers:
        if measure > 0 and tier.threshold <= measure:
            reached = tier
    return reached


def _order_value(rule: r.Rule, lines, plan: Plan, context: _Context):
    """What ``rule`` gives on ``lines`` (all of them count towards its threshold):
    ``(lines, tier, saving, gift)``, or None when it gives nothing there. No allocation:
    the search compares values; the chosen rules are shared out at the end."""
    amounts = plan.amounts
    if rule.kind != r.GIFT:
        lines = frozenset(sku for sku in lines if amounts[sku] > 0)
    if not lines:
        return None
    base = sum((amounts[sku] for sku in lines), ZERO)
    if rule.basis == r.QUANTITY:
        measure = Decimal(sum(context.items[sku].quantity for sku in lines))
    else:
        measure = base
    if rule.kind == r.GIFT:
        for tier in reversed(rule.tiers):  # the highest tier reached whose gift is in stock
            reached = measure > 0 and tier.threshold <= measure
            if reached and context.gift_stock.get(tier.gift_sku_id, 0) >= tier.gift_quantity > 0:
                return lines, tier, ZERO, tier
        return None
    if rule.repeatable and rule.tiers and rule.tiers[0].threshold > 0:
        first = rule.tiers[0]
        times = (measure / first.threshold).to_integral_value(rounding=ROUND_FLOOR)
        saving = (first.amount_off or ZERO) * times
        tier = first if times else None
    else:
        tier = _reached(rule, measure)
        if tier is None:
            return None
        if tier.percent_off is not None:
            saving = to_money(base * tier.percent_off / 100)
        else:
            saving = tier.amount_off or ZERO
    if rule.cap is not None:
        saving = min(saving, rule.cap)
    saving = min(to_money(saving), base)
    if saving <= 0 or tier is None:
        return None
    return lines, tier, saving, None


def _value(found) -> Decimal:
    if found is None:
        return ZERO
    _lines, _tier, saving, gift = found
    return saving + (to_money(gift.gift_value * gift.gift_quantity) if gift else ZERO)


def _applied(rule: r.Rule, found, plan: Plan) -> Applied:
    """A chosen order rule, its saving shared out over its lines to the cent."""
    lines, tier, saving, gift = found
    if gift is not None:
        return Applied(rule=rule, tier=tier, gift=gift, lines=lines)
    ordered = sorted(lines)
    parts = allocate(saving, [plan.amounts[sku] for sku in ordered])
    return Applied(rule=rule, tier=tier, shares=dict(zip(ordered, parts, strict=True)), lines=lines)


def _order_rule(rule: r.Rule, lines, plan: Plan, context: _Context) -> Applied | None:
    found = _order_value(rule, lines, plan, context)
    return None if found is None else _applied(rule, found, plan)


def _assign(rules: list[r.Rule], open_lines: frozenset, plan: Plan, context) -> list[Applied]:
    """The most valuable way to give lines to order rules, a line to one rule at most:
    rules that share no line are independent; within a group of rules that share lines,
    every order of taking them is tried (the first order of the sorted rules wins ties);
    a larger group takes them most valuable first."""
    lines = {rule: context.lines_of(rule) & open_lines for rule in rules}
    lines = {rule: found for rule, found in lines.items() if found}
    result: list[Applied] = []
    for component in _components(list(lines), lines):
        if len(component) <= PERMUTATION_LIMIT:
            orders = itertools.permutations(component)
        else:
            orders = [_by_value(component, lines, plan, context)]
        best, best_value = [], Decimal(-1)
        for order in orders:
            taken: frozenset = frozenset()
            chosen = []
            value = ZERO
            for rule in order:
                found = _order_value(rule, lines[rule] - taken, plan, context)
                if found is not None:
                    chosen.append((rule, found))
                    taken |= found[0]
                    value += _value(found)
            if value > best_value:
                best, best_value = chosen, value
        result.extend(_applied(rule, found, plan) for rule, found in best)
    return sorted(result, key=lambda a: a.rule.sort_key)


def _components(rules: list[r.Rule], lines: dict) -> list[list[r.Rule]]:
    components: list[list[r.Rule]] = []
    for rule in sorted(rules, key=lambda rule: rule.sort_key):
        joined = [c for c in components if any(lines[rule] & lines[other] for other in c)]
        merged = [rule]
        for component in joined:
            components.remove(component)
            merged.extend(component)
        components.append(sorted(merged, key=lambda rule: rule.sort_key))
    return components


def _by_value(rules, lines, plan, context) -> list[r.Rule]:
    """Rules most valuable on their own first (ties: priority, then age)."""
    return sorted(
        rules,
        key=lambda rule: (-_value(_order_value(rule, lines[rule], plan, context)), rule.sort_key),
    )


# --- Coupons -----------------------------------------------------------------------------------


def _coupon_lines(rule: r.Rule, plan: Plan, context: _Context) -> list[int]:
    discounted = plan.discounted
    return sorted(
        sku
        for sku, item in context.items.items()
        if item.promotable
        and sku not in plan.locked
        and rule.scope.covers(item)
        and plan.amounts[sku] > 0
        and (rule.stackable or sku not in discounted)
    )


def _coupon(rule: r.Rule, plan: Plan, context: _Context) -> Applied | None:
    lines = _coupon_lines(rule, plan, context)
    base = sum((plan.amounts[sku] for sku in lines), ZERO)
    if not lines or base <= 0 or base < rule.threshold:
        return None
    if rule.kind == r.PERCENT_OFF:
        saving = to_money(base * (rule.percent_off or 0) / 100)
    else:
        saving = rule.tiers[0].amount_off if rule.tiers else ZERO
    if rule.cap is not None:
        saving = min(saving, rule.cap)
    saving = min(to_money(saving), base)
    if saving <= 0:
        return None
    parts = allocate(saving, [plan.amounts[sku] for sku in lines])
    return Applied(rule=rule, shares=dict(zip(lines, parts, strict=True)), lines=frozenset(lines))


def _coupon_gap(rule: r.Rule, plan: Plan, context: _Context) -> Decimal | None:
    lines = _coupon_lines(rule, plan, context)
    base = sum((plan.amounts[sku] for sku in lines), ZERO)
    if lines and 0 < base < rule.threshold:
        return rule.threshold - base
    return None


# --- Hints ----------------------------------------------------------------------------------------


def _hints(context: _Context, result: Quote) -> list:
    """What to add for more, nearest first: the next tier of each order or shipping rule
    the cart has goods of (on the goods it counted, or could count), and the nearest
    coupon threshold."""
    plan = result.plan
    found: list[tuple[int, Decimal, int, object]] = []
    taken_elsewhere = frozenset().union(*plan.taken.values()) if plan.taken else frozenset()
    for rule in context.rules(r.ORDER):
        if rule.kind not in ORDER_KINDS:
            continue
        own = next((a for a in plan.applied if a.rule is rule), None)
        if rule.key in plan.taken:
            lines = plan.taken[rule.key]
        else:
            lines = context.lines_of(rule) - taken_elsewhere - plan.locked
        if not lines:
            continue
        measure = _measure(rule, lines, plan, context)
        if own is not None and rule.basis == r.AMOUNT:
            measure += own.amount  # its threshold counted the goods before its own discount
        hint = _next(rule, measure)
        if hint is not None:
            applied_first = 0 if rule.key in plan.taken else 1
            found.append((applied_first, hint[0], rule.id, hint[1]))
    if context.shipping_fee > 0 and plan.shipping is None:
        for rule in context.rules(r.SHIPPING):
            lines = context.lines_of(rule) - plan.locked
            hint = _next(rule, _measure(rule, lines, plan, context)) if lines else None
            if hint is not None:
                found.append((1, hint[0], rule.id, hint[1]))
                break
    if result.coupon is None and result.coupon_hints:
        coupon_id, hint = next(iter(result.coupon_hints.items()))
        found.append((2, ZERO, coupon_id, hint))
    found.sort(key=lambda row: row[:3])
    return [row[3] for row in found[:HINT_LIMIT]]


def _next(rule: r.Rule, measure: Decimal) -> tuple[Decimal, object] | None:
    if rule.repeatable and rule.tiers and rule.tiers[0].threshold > 0:
        first = rule.tiers[0]
        times = (measure / first.threshold).to_integral_value(rounding=ROUND_FLOOR)
        if rule.cap is not None and (first.amount_off or 0) * (times + 1) > rule.cap:
            return None
        gap = first.threshold * (times + 1) - measure
        return gap, labels.repeat_hint(rule, gap, first.amount_off or ZERO)
    for tier in rule.tiers:
        if tier.threshold > measure:
            gap = tier.threshold - measure
            return gap, labels.next_tier_hint(rule, tier, gap)
    return None
