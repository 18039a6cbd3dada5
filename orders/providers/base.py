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

Beyond the six verbs, an adapter of a real provider also says how its notifications
arrive (``notification_params``: Alipay POSTs a form, WeChat Pay a JSON body with signed
headers) and how the shop answers them (``notification_answer``), checks the merchant ids
of a notice (``WrongMerchant``) and its age (``ReplayedNotice``), may report a refund's
fate by notification (``RefundNotice``), reads its daily bill (``fetch_bill``), and tells
operators whether its keys are in place (``key_problems``) and whether the provider
answers a harmless signed query (``check_connection``).
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


class WrongMerchant(ProviderError):
    """A correctly signed notice addressed to another merchant (app id, merchant id or
    seller): it is not about a payment of this shop."""


class ReplayedNotice(ProviderError):
    """A correctly signed notice older than the provider's freshness window: a replay of
    an old message, not news."""


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
    notice_id: str = ""  # the provider's id of this notification (Alipay's notify_id)


@dataclass(frozen=True)
class RefundReceipt:
    """The provider's answer to an accepted refund. ``settled`` is False while the
    provider still processes it (WeChat Pay's PROCESSING): the refund stays pending, and
    its notification, or asking again with the same number, settles it."""

    refund_no: str
    provider_refund_no: str
    amount: Decimal
    settled: bool = True


# What the shop understands of a refund's fate in a provider's refund notification.
REFUND_SUCCEEDED = "succeeded"
REFUND_FAILED = "failed"
REFUND_PROCESSING = "processing"


@dataclass(frozen=True)
class RefundNotice:
    """A verified notification of the provider about one refund (WeChat Pay's
    REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED)."""

    out_trade_no: str
    refund_no: str
    provider_refund_no: str
    status: str  # REFUND_SUCCEEDED, REFUND_FAILED or REFUND_PROCESSING
    amount: Decimal | None
    raw: dict = field(default_factory=dict, compare=False)
    notice_id: str = ""


@dataclass(frozen=True)
class Client:
    """Who is paying, as far as a provider needs to know: a phone's browser gets the
    mobile page (Alipay's wap.pay, WeChat Pay's H5) and WeChat Pay's H5 wants the payer's
    address."""

    mobile: bool = False
    ip: str = ""


@dataclass(frozen=True)
class BillEntry:
    """One line of a provider's daily bill: money in (a payment) or out (a refund)."""

    kind: str  # "payment" or "refund"
    out_trade_no: str
    amount: Decimal
    provider_trade_no: str = ""
    refund_no: str = ""  # the shop's refund number, for refunds


@dataclass(frozen=True)
class NoticeAnswer:
    """What the shop's notification endpoint answers the provider."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class PaymentProvider(abc.ABC):
    """A payment provider seen from the shop. ``name`` is the key in
    ``MALL_PAYMENT_PROVIDERS`` and in ``Payment.provider``."""

    name: str = ""
    label = ""  # what a shopper calls it, translatable

    # --- Configuration and operations (defaults suit the sandbox) -------------------------

    @classmethod
    def key_problems(cls) -> list[str]:
        """What is missing, unreadable or expired in this provider's configuration (keys,
        certificates, ids), for readiness and the operators' page; empty when complete.
        Never raises."""
        return []

    def check_connection(self) -> str:
        """Sign and send a harmless query (a trade that does not exist) and return what
        the provider said, for the operators' "test connection". Raises
        ``ProviderError`` when the provider cannot be reached or refuses the signature."""
        try:
            self.query_trade(out_trade_no="CONNECTION-TEST")
        except TradeNotFound:
            return "ok: the provider answered (no such trade)"
        return "ok: the provider answered"

    def fetch_bill(self, *, bill_date) -> list[BillEntry]:
        """Every payment and refund of ``bill_date`` in the provider's daily bill. Raises
        ``ProviderUnavailable`` (not ready yet, not reachable) or ``ProviderError``."""
        raise ProviderRefused(f"{self.name} publishes no bill")

    # --- Notifications as they arrive ------------------------------------------------------

    def notification_params(self, *, body: bytes, headers, form: dict) -> dict:
        """What ``parse_notification`` reads from one HTTP request: by default the POSTed
        form (Alipay, the sandbox). Stored as the notification's body."""
        return form

    def notification_answer(self, *, accepted: bool) -> NoticeAnswer:
        """The answer that tells the provider the notice was taken (it stops resending) or
        refused."""
        return NoticeAnswer(200, "success" if accepted else "fail")

    def query_refund(self, *, out_trade_no: str, refund_no: str) -> RefundReceipt:
        """A refund's state at the provider (asked again with the same number, every
        provider answers with the same refund). Raises ``ProviderRefused`` or
        ``ProviderUnavailable``."""
        raise ProviderRefused(f"{self.name} cannot be asked about a refund")

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
        client: Client | None = None,
    ) -> str:
        """Open a trade and return the URL the shopper's browser is sent to (the
        provider's page, or the shop's page showing the provider's QR code). Raises
        ``ProviderError``."""

    @abc.abstractmethod
    def parse_notification(self, params: dict) -> "TradeNotice | RefundNotice":
        """Verify an asynchronous notification and read it. Raises ``BadSignature``,
        ``WrongMerchant`` or ``ReplayedNotice``."""

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
