"""Payment providers: adapters behind one small interface (``base.PaymentProvider``).

``PROVIDERS`` lists every adapter the shop has, imported explicitly; the setting
``MALL_PAYMENT_PROVIDERS`` names those switched on. A provider that is off does not
exist for the shop: no payments start with it and its notifications are not heard (the
sandbox, off in production, could otherwise be used to "pay" with pretend money).
"""

from django.conf import settings

from .adapters.alipay import AlipayProvider
from .adapters.sandbox import SandboxProvider
from .adapters.wechatpay import WechatPayProvider
from .base import PaymentProvider

PROVIDERS: dict[str, type[PaymentProvider]] = {
    SandboxProvider.name: SandboxProvider,
    AlipayProvider.name: AlipayProvider,
    WechatPayProvider.name: WechatPayProvider,
}


class UnknownProvider(LookupError):
    """No provider of that name is switched on."""


def enabled_names() -> list[str]:
    return [name for name in settings.MALL_PAYMENT_PROVIDERS if name in PROVIDERS]


def get_provider(name: str) -> PaymentProvider:
    """The adapter of provider ``name``. Raises ``UnknownProvider`` unless it is one of
    ``PROVIDERS`` and switched on in ``MALL_PAYMENT_PROVIDERS``; ``ProviderError`` when it
    is on but its keys are missing (``key_problems`` says which)."""
    if name not in enabled_names():
        raise UnknownProvider(name)
    return PROVIDERS[name]()


def choices() -> list[tuple[str, str]]:
    """``(name, label)`` of the providers switched on, for a choice of payment method."""
    return [(name, PROVIDERS[name].label) for name in enabled_names()]
