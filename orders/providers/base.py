"""The one small interface every payment provider adapter implements.

The payments service (``orders.services.payments``) speaks only this interface; an
adapter turns it into its provider's API (Alipay's gateway, WeChat Pay's, or the sandbox
shipped with the shop). Amounts are two-place ``Decimal`` in the shop's currency.

Contract of an adapter, whatever the provider:

- ``create_trade`` opens a trade for one ``Payment`` and returns where to send the
  shopper. It may be called again for a new ``out_trade_no`` of the same order.
- ``parse_notification`` and ``parse_return`` check the provider's signature before
  anything is read, and raise ``BadSignature`` otherwise; they never change anything.
- ``query_trade`` tells the trade's state as the provider sees it.
- ``refund`` is idempotent per ``refund_no`` (Alipay's ``out_request_no``, WeChat's
  ``out_refund_no``): asked twice with one number, the provider pays once and answers
  with the same refund. The provider also refuses to refund more than it received.
- ``close_trade`` stops an unpaid trade from taking money; it answers ``False`` when the
  trade was paid already (the notification, or a query, will tell the shop).
"""

import abc
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

# What the shop understands of a trade's state, whatever the provider calls it.
WAITING = "waiting"  # open, the shopper has not paid (yet)
SUCCEEDED = "succeeded"
FAILED = "failed"
CLOSED = "closed"  # closed or expired without payment: it takes no money any more


class ProviderError(Exception):
    """The provider did not do what was asked. ``str(error)`` is for logs and operators."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or did not answer: try again later (a refund
    or a close asked again with the same numbers is safe)."""


class ProviderRefused(ProviderError):
    """The provider answered and said no (a refund beyond what it received, an unknown
    trade, ...): asking again the same way will not help."""


class TradeNotFound(ProviderRefused):
    """The provider knows no trade with that number."""


class BadSignature(ProviderError):
    """A notification or return whose signature does not verify: nothing in it is true."""


@dataclass(frozen=True)
class TradeNotice:
    """A verified statement of the provider about one trade (a notification, a return
    or a query's answer)."""

    out_trade_no: str
    status: str  # WAITING, SUCCEEDED, FAILED or CLOSED
    amount: Decimal | None  # None when the message did not carry a valid amount
    provider_trade_no: str = ""
    paid_at: datetime.datetime | None = None
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RefundReceipt:
    """The provider's answer to an accepted refund."""

    refund_no: str
    provider_refund_no: str
    amount: Decimal


class PaymentProvider(abc.ABC):
    """A payment provider seen from the shop. ``name`` is the key in
    ``MALL_PAYMENT_PROVIDERS`` and in ``Payment.provider``."""

    name: str = ""
    label = ""  # what a shopper calls it, translatable

    @abc.abstractmethod
    def create_trade(
        self,
        *,
        out_trade_no: str,
        amount: Decimal,
        subject: str,
        notify_url: str,
        return_url: str,
        expires_at: datetime.datetime | None = None,
    ) -> str:
        """Open a trade and return the URL the shopper's browser is sent to. Raises
        ``ProviderError``."""

    @abc.abstractmethod
    def parse_notification(self, params: dict) -> TradeNotice:
        """Verify an asynchronous notification and read it. Raises ``BadSignature``."""

    @abc.abstractmethod
    def parse_return(self, params: dict) -> TradeNotice:
        """Verify the parameters the shopper's browser brought back to the return page.
        Their status is never trusted (a browser may replay them): the shop queries.
        Raises ``BadSignature``."""

    @abc.abstractmethod
    def query_trade(self, *, out_trade_no: str) -> TradeNotice:
        """The trade's state at the provider. Raises ``TradeNotFound`` or
        ``ProviderUnavailable``."""

    @abc.abstractmethod
    def refund(
        self, *, out_trade_no: str, refund_no: str, amount: Decimal, reason: str
    ) -> RefundReceipt:
        """Pay ``amount`` back, once per ``refund_no``. Raises ``ProviderRefused`` (beyond
        what was received, trade not paid, the number reused for another amount) or
        ``ProviderUnavailable``."""

    @abc.abstractmethod
    def close_trade(self, *, out_trade_no: str) -> bool:
        """Stop an unpaid trade from taking money. ``True`` when it takes none any more
        (closed now or before, failed, expired, never created); ``False`` when it was
        paid. Raises ``ProviderUnavailable``."""
