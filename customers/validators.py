import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland China mobile numbers: 11 digits starting 13-19.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_mobile(value: str) -> str:
    """Strip spaces, dashes and a +86 / 0086 prefix; return the 11-digit number."""
    number = _SEPARATORS.sub("", value or "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    return number


def validate_mobile(value: str) -> None:
    if not _MOBILE.match(normalize_mobile(value)):
        raise ValidationError(
            _("Enter a valid mainland China mobile number (11 digits, e.g. 13812345678)."),
            code="invalid_mobile",
        )


def mask_mobile(value: str) -> str:
    """138****1234: what staff without the right to see phone numbers are shown."""
    number = normalize_mobile(value)
    if len(number) != 11:
        return "****"
    return f"{number[:3]}****{number[-4:]}"
