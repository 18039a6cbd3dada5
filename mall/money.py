"""Money: ``Decimal`` with two places in the shop's currency. Rounding happens here only."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


def to_money(value) -> Decimal:
    """Return ``value`` as a two-place Decimal, rounded half up. Floats are refused."""
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a str, int or Decimal.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def currency() -> str:
    return settings.MALL_CURRENCY
