import pytest
from django.core.exceptions import ValidationError

from mall.validators import credit_code_check_char, validate_credit_code


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B"])
def test_real_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y4I",  # I is not in the alphabet
        "",
    ],
)
def test_bad_credit_codes_fail(code):
    with pytest.raises(ValidationError):
        validate_credit_code(code)


def test_check_char_round_trip():
    first17 = "92440300MA5F00000"
    validate_credit_code(first17 + credit_code_check_char(first17))
