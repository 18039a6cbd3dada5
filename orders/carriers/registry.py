"""Carriers: adapters behind one small interface (``base.Carrier``), the same shape as the
payment providers (``orders.providers``).

``CARRIERS`` lists every adapter the shop has, imported explicitly; the setting
``MALL_CARRIERS`` names those switched on. Parcels are handed only to carriers switched
on; the sandbox (pretend parcels that "arrive" by themselves) is on by default only while
``DEBUG``.
"""

from django.conf import settings

from orders.carriers.adapters.kuaidi100 import Kuaidi100Carrier
from orders.carriers.adapters.sandbox import SandboxCarrier
from orders.carriers.adapters.sfexpress import SFExpressCarrier

from .base import Carrier

CARRIERS: dict[str, type[Carrier]] = {
    SandboxCarrier.name: SandboxCarrier,
    Kuaidi100Carrier.name: Kuaidi100Carrier,
    SFExpressCarrier.name: SFExpressCarrier,
}


class UnknownCarrier(LookupError):
    """No carrier of that name is switched on."""


def enabled_names() -> list[str]:
    return [name for name in settings.MALL_CARRIERS if name in CARRIERS]


def get_carrier(name: str) -> Carrier:
    """The adapter of carrier ``name``. Raises ``UnknownCarrier`` unless it is one of
    ``CARRIERS`` and switched on in ``MALL_CARRIERS``; ``CarrierError`` when it is on but
    its keys are missing."""
    if name not in enabled_names():
        raise UnknownCarrier(name)
    return CARRIERS[name]()


def choices() -> list[tuple[str, str]]:
    """``(name, label)`` of the carriers switched on, for a choice of carrier."""
    return [(name, CARRIERS[name].label) for name in enabled_names()]


def label(name: str) -> str:
    """What people call carrier ``name`` (also one switched off since); the name itself
    when unknown."""
    carrier = CARRIERS.get(name)
    return str(carrier.label) if carrier else name
