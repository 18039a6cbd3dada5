from decimal import Decimal

import pytest

from mall.money import currency, to_money


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1.005", "1.01"), ("1.004", "1.00"), ("2.675", "2.68"), (3, "3.00"), ("-1.005", "-1.01")],
)
def test_to_money_rounds_half_up_to_two_places(given, expected):
    assert to_money(given) == Decimal(expected)
    assert to_money(given).as_tuple().exponent == -2


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_money(0.1)


def test_currency_comes_from_settings(settings):
    settings.MALL_CURRENCY = "HKD"
    assert currency() == "HKD"
