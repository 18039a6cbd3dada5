"""The taxpayer ID of a company invoice, as the checkout page and the API check it."""

import pytest
from django.core.exceptions import ValidationError

from orders.validators import clean_tax_number


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("", ""),
        ("91440300ma5fxxxx0u", "91440300MA5FXXXX0U"),  # a credit code, its check right
        ("9144 0300 MA5F XXXX 0U", "91440300MA5FXXXX0U"),
        ("110105123456789", "110105123456789"),  # an older 15-character number
        ("11010512345678901234", "11010512345678901234"),  # and a 20-character one
    ],
)
def test_taxpayer_ids_are_kept_in_capitals_without_spaces(typed, kept):
    assert clean_tax_number(typed) == kept


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("123", "15, 18 or 20"),
        ("91440300MA5FXXXX0X", "check character is wrong"),  # one character off
        ("91440300MA5FXXXXOU", "18 characters"),  # the letter O is not in the alphabet
        ("9144030!MA5FXXXX0U", "18 characters"),
    ],
)
def test_a_wrong_taxpayer_id_is_refused_with_the_reason(typed, message):
    with pytest.raises(ValidationError, match=message):
        clean_tax_number(typed)
