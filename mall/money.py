"""Money: ``Decimal`` with two places in the shop's currency. Rounding happens here only,
and so does sharing an amount out in proportion (a discount over the lines it covers)."""

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CURRENCY_SYMBOLS = {"CNY": "¥"}


def to_money(value) -> Decimal:
    """Return ``value`` as a two-place Decimal, rounded half up. Floats are refused."""
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a str, int or Decimal.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def currency() -> str:
    return settings.MALL_CURRENCY


def format_money(value) -> str:
    """``Decimal("1299")`` -> ``"¥1,299.00"`` in the shop's currency."""
    amount = to_money(value)
    symbol = CURRENCY_SYMBOLS.get(settings.MALL_CURRENCY, settings.MALL_CURRENCY + " ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def plain_number(value) -> str:
    """A figure as a person writes it in a rule's name: ``199`` for 199.00, ``9.5`` for
    9.50 ("满199减20", "9.5折")."""
    amount = Decimal(value)
    if amount == amount.to_integral_value():
        return str(amount.quantize(Decimal(1)))
    return format(amount.normalize(), "f")


def allocate(amount, weights: Sequence[Decimal]) -> list[Decimal]:
    """Share ``amount`` (two places, not negative) out over ``weights`` in proportion, to
    the cent: each part rounded half up, and what rounding left over (or took too much)
    on the largest weight (the first of equals). The parts always add up to ``amount``;
    when it does not exceed the weights' sum, no part exceeds its weight or falls below
    zero (in the rare case where the remainder would push the largest part past its
    weight, each part is rounded down and the cents left go one by one to the largest
    weights with room). Weights of zero get nothing; all zero: everything on the first."""
    amount = to_money(amount)
    weights = [Decimal(w) for w in weights]
    if not weights:
        if amount:
            raise ValueError("nothing to allocate an amount to")
        return []
    total = sum(weights, Decimal(0))
    if total <= 0:
        return [amount] + [ZERO] * (len(weights) - 1)
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    parts = [to_money(amount * weight / total) for weight in weights]
    parts[order[0]] += amount - sum(parts, ZERO)
    if amount > total or ZERO <= parts[order[0]] <= weights[order[0]]:
        return parts
    parts = [(amount * weight / total).quantize(CENT, rounding=ROUND_DOWN) for weight in weights]
    left = amount - sum(parts, ZERO)
    while left > 0:
        for index in order:
            if left > 0 and parts[index] + CENT <= weights[index]:
                parts[index] += CENT
                left -= CENT
    return parts
