"""Text kept for later and shown in the reader's language: a message id with its
parameters, stored as JSON and translated only when rendered.

An order's discount lines, a cart's hints and a refund's notes are written by one person's
request and read later by others (the shopper in Chinese, an operator in English), so
they are kept as ``Label("Spend %(threshold)s, save %(amount)s", threshold="199", ...)``
rather than as finished sentences. Message ids are marked for the catalogue where they
are written (``gettext_noop``). A parameter is a plain string (a figure as written,
"199", or a name an operator typed), an amount of money (a ``Decimal``, rendered
"¥20.00"), a discount rate (``Rate``: Chinese writes "9折" what English writes "10% off",
so no message id can hold both), or another ``Label``.
"""

from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import get_language, gettext

from .money import format_money, plain_number


class Rate:
    """A percentage off, written as each language writes it: "9折" in Chinese (tenths
    of the price paid), "10% off" in English."""

    __slots__ = ("off",)

    def __init__(self, off):
        self.off = Decimal(off)

    def render(self) -> str:
        if (get_language() or "").startswith("zh"):
            return f"{plain_number((100 - self.off) / 10)}折"
        return f"{plain_number(self.off)}% off"

    __str__ = render

    def __eq__(self, other):
        return isinstance(other, Rate) and self.off == other.off

    def __hash__(self):
        return hash(self.off)

    def __repr__(self):
        return f"Rate({self.off})"


class Label:
    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params):
        self.msgid = str(msgid)
        self.params = params

    def render(self) -> str:
        if not self.params:
            return gettext(self.msgid)
        return gettext(self.msgid) % {name: _render(value) for name, value in self.params.items()}

    __str__ = render

    def __repr__(self):
        return f"Label({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other):
        return (
            isinstance(other, Label) and self.msgid == other.msgid and self.params == other.params
        )

    def __hash__(self):
        return hash((self.msgid, tuple(sorted(self.params))))

    def to_json(self) -> dict:
        return {"msgid": self.msgid, "params": {k: _encode(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data) -> "Label":
        """A label from ``to_json``; a bare string (text stored before labels) is kept
        as it is."""
        if isinstance(data, str):
            return cls(data.replace("%", "%%"))
        params = {k: _decode(v) for k, v in (data.get("params") or {}).items()}
        return cls(data["msgid"], **params)


def render(value) -> str:
    """A label, or anything else, as text in the active language."""
    return _render(value)


def _render(value) -> str:
    if isinstance(value, Label | Rate):
        return value.render()
    if isinstance(value, Decimal):
        return format_money(value)
    return str(value)


def _encode(value):
    if isinstance(value, Label):
        return {"label": value.to_json()}
    if isinstance(value, Decimal):
        return {"money": str(value)}
    if isinstance(value, Rate):
        return {"rate": str(value.off)}
    return str(value)


def _decode(value):
    if isinstance(value, Mapping):
        if "label" in value:
            return Label.from_json(value["label"])
        if "money" in value:
            return Decimal(value["money"])
        if "rate" in value:
            return Rate(value["rate"])
    return value
