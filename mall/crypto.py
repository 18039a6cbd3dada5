"""Personal data encrypted at rest, field by field (``cryptography``'s Fernet: AES-128-CBC
with HMAC-SHA256), with keys from the environment and a keyed hash for lookups.

- ``MALL_FIELD_KEYS``: Fernet keys, newest first. Values are encrypted with the first and
  read with any of them (MultiFernet), so a key is rotated by putting a new one in front,
  running ``manage.py rotate_field_keys`` (which re-encrypts every value with it), then
  dropping the old one. README "Personal data" says it step by step.
- ``MALL_FIELD_INDEX_KEY``: the HMAC key of ``blind_index``, the lookup column of a value
  that must be found by equality (an order's mobile number). It is not rotated with the
  encryption keys: a new one means recomputing the index columns.

Values are stored as ``enc1:<token>``; a value without the prefix (a row written before
encryption, read once by the migration that encrypts it) is read as it is.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import validators
from django.db import models

PREFIX = "enc1:"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.MALL_FIELD_KEYS))


def encrypt(value: str) -> str:
    if not value or value.startswith(PREFIX):
        return value
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value or not value.startswith(PREFIX):
        return value
    try:
        return fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise InvalidToken(
            "a value could not be decrypted with any key of MALL_FIELD_KEYS"
        ) from error


def rotate(value: str) -> str:
    """``value`` (encrypted or not) encrypted with the newest key."""
    if not value:
        return value
    if not value.startswith(PREFIX):
        return encrypt(value)
    return PREFIX + fernet().rotate(value[len(PREFIX) :].encode()).decode()


def blind_index(value: str) -> str:
    """A keyed hash of ``value`` for lookups by equality; empty for an empty value."""
    if not value:
        return ""
    key = settings.MALL_FIELD_INDEX_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """A ``CharField`` to Python and forms (``max_length`` of the clear text is kept and
    validated), encrypted in the database. Lookups other than "is empty" cannot work on
    it: give the model a ``blind_index`` column for what must be found."""

    def __init__(self, *args, max_length=None, **kwargs):
        self.clear_max_length = max_length
        super().__init__(*args, **kwargs)
        if max_length:
            self.validators.append(validators.MaxLengthValidator(max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.clear_max_length:
            kwargs["max_length"] = self.clear_max_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value is not None else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(
            **{"max_length": self.clear_max_length, "widget": forms.TextInput, **kwargs}
        )
