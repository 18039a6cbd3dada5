"""Validators of what shoppers type at checkout, shared by the pages and the API."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mall.validators import validate_credit_code

# Older taxpayer numbers have 15 or 20 digits and capital letters; today's is the
# 18-character unified social credit code, with its check character.
_OLD_TAX_NUMBER = re.compile(r"^(?:[0-9A-Z]{15}|[0-9A-Z]{20})$")


def clean_tax_number(value: str) -> str:
    """The taxpayer ID for a company invoice, spaces removed and in capitals ("" for
    none). Raises ``ValidationError`` unless it is a valid unified social credit code
    (``mall.validators.validate_credit_code``) or an older 15- or 20-character one."""
    number = (value or "").strip().upper().replace(" ", "")
    if not number or _OLD_TAX_NUMBER.match(number):
        return number
    if len(number) != 18:
        raise ValidationError(_("A taxpayer ID has 15, 18 or 20 digits and capital letters."))
    validate_credit_code(number)
    return number
