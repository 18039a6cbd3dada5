"""Validators used across apps: mainland China mobile numbers (and the masked form staff
see) and the unified social credit code of companies."""

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


# The one masking rule: every page where staff see a shopper's contact details shows them
# through these functions, in full only to holders of this permission (support
# supervisors; superusers). The permission is customer service's, named here as a string
# so that every floor can ask for it.
SEE_CONTACT_DETAILS = "support.see_contact_details"


def may_see_contact_details(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(SEE_CONTACT_DETAILS))


def mask_mobile(value: str) -> str:
    """138****1234: what staff without the right to see phone numbers are shown."""
    number = normalize_mobile(value)
    if len(number) != 11:
        return "****"
    return f"{number[:3]}****{number[-4:]}"


def mask_email(value: str) -> str:
    """``li.lei@example.com`` -> ``l***@example.com``."""
    if not value or "@" not in value:
        return value or ""
    name, domain = value.split("@", 1)
    return f"{name[:1]}***@{domain}"


def mask_street(value: str) -> str:
    """Street and house number hidden, the first two characters kept: ``文三****``."""
    value = value or ""
    return f"{value[:2]}****" if value else ""


def person_label(user, *, show: bool = False) -> str:
    """A shopper as staff may name them: the display name, else the email or the mobile
    number, masked unless ``show``. ``User.__str__`` is this, masked."""
    if user is None:
        return ""
    if user.display_name:
        return user.display_name
    if user.email:
        return user.email if show else mask_email(user.email)
    if user.phone:
        return user.phone if show else mask_mobile(user.phone)
    return f"#{user.pk}"


# GB 32100-2015: the unified social credit code is 18 characters from this alphabet
# (no I, O, S, V, Z); the last is a check character over the first 17.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18 or any(char not in CREDIT_CODE_ALPHABET for char in code):
        raise ValidationError(
            _("A unified social credit code has 18 characters (digits and capital letters)."),
            code="credit_code_format",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code is not valid: its check character is wrong."),
            code="credit_code_check",
        )
