"""The sandbox provider's own side: what Alipay's or WeChat Pay's servers do, in-process.

It keeps its books in ``SandboxTrade`` / ``SandboxRefund``, serves the hosted pay page
(``orders.views.payments.sandbox_pay``) where the payer chooses success or failure, and
delivers a signed asynchronous notification to the merchant's ``notify_url`` over HTTP,
retried with backoff until the merchant answers ``success`` (task
``orders.tasks.deliver_sandbox_notification``). Like a real provider it refuses to refund
more than it received and pays once per merchant refund number.

Signatures are HMAC-SHA256 over the parameters sorted by name (``k=v`` joined by ``&``,
empty values and ``sign``/``sign_type`` left out), keyed with
``settings.MALL_SANDBOX_PAY_SECRET``, as Alipay signs with RSA2 over the same string.

The shop's adapter (``orders.providers.adapters.sandbox``) is the only caller besides the pay page
and the delivery task; nothing here imports the shop's payment models.
"""

import hashlib
import hmac
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.jobs import enqueue
from mall.numbers import new_number

from ...models import SandboxRefund, SandboxTrade
from ..base import ProviderRefused, TradeNotFound

logger = logging.getLogger("orders.payments.sandbox")

NOTIFY_TYPE = "trade_status_sync"
RETURN_METHOD = "sandbox.trade.page.pay.return"
SIGN_TYPE = "HMAC-SHA256"
TRADE_STATUS = {
    SandboxTrade.Status.WAITING: "WAIT_BUYER_PAY",
    SandboxTrade.Status.PAID: "TRADE_SUCCESS",
    SandboxTrade.Status.FAILED: "TRADE_FAILED",
    SandboxTrade.Status.CLOSED: "TRADE_CLOSED",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # the provider's local time, as Alipay writes it


class TradeNotPayable(ProviderRefused):
    """The hosted page was asked to settle a trade that is closed, expired or settled."""


# --- Signatures -------------------------------------------------------------------------------


def _secret() -> bytes:
    secret = settings.MALL_SANDBOX_PAY_SECRET
    if not secret:
        raise ImproperlyConfigured("MALL_SANDBOX_PAY_SECRET is not set.")
    return secret.encode()


def sign(params: Mapping[str, str]) -> str:
    message = "&".join(
        f"{key}={params[key]}"
        for key in sorted(params)
        if key not in ("sign", "sign_type") and params[key] not in ("", None)
    )
    return hmac.new(_secret(), message.encode(), hashlib.sha256).hexdigest()


def signed(params: Mapping[str, str]) -> dict[str, str]:
    params = {key: str(value) for key, value in params.items()}
    return {**params, "sign_type": SIGN_TYPE, "sign": sign(params)}


def verify(params: Mapping[str, str]) -> bool:
    """Whether ``params`` carry the sandbox's signature (compared in constant time)."""
    given = params.get("sign")
    if not isinstance(given, str) or params.get("sign_type") != SIGN_TYPE:
        return False
    if not all(isinstance(value, str) for value in params.values()):
        return False
    return hmac.compare_digest(sign(params).encode(), given.encode())


# --- Trades -----------------------------------------------------------------------------------


def open_trade(
    *,
    out_trade_no: str,
    amount: Decimal,
    subject: str,
    notify_url: str,
    return_url: str,
    expires_at=None,
) -> SandboxTrade:
    """Open a trade (the merchant's page-pay request). Asked again for the same
    ``out_trade_no`` and amount, it returns the trade already open."""
    try:
        with transaction.atomic():
            return SandboxTrade.objects.create(
                trade_no=new_number("SBX", digits=8, with_time=True),
                out_trade_no=out_trade_no,
                subject=subject[:200],
                amount=amount,
                notify_url=notify_url,
                return_url=return_url,
                expires_at=expires_at,
            )
    except IntegrityError:
        trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
        if trade is None or trade.amount != amount:
            raise ProviderRefused(f"trade {out_trade_no} exists with another amount") from None
        return trade


def pay_page_url(trade: SandboxTrade) -> str:
    """The hosted pay page, on the host of the merchant's return URL (the sandbox is
    served by the shop itself)."""
    parts = urlsplit(trade.return_url)
    path = reverse("payments:sandbox_pay", args=[trade.out_trade_no])
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def is_payable(trade: SandboxTrade) -> bool:
    return trade.status == SandboxTrade.Status.WAITING and not (
        trade.expires_at and trade.expires_at <= timezone.now()
    )


def _expire(trade: SandboxTrade) -> None:
    """A waiting trade past its expiry closes (as Alipay closes on ``time_expire``)."""
    now = timezone.now()
    if trade.status == SandboxTrade.Status.WAITING and trade.expires_at and trade.expires_at <= now:
        SandboxTrade.objects.filter(pk=trade.pk, status=SandboxTrade.Status.WAITING).update(
            status=SandboxTrade.Status.CLOSED, closed_at=now
        )
        trade.refresh_from_db()


@transaction.atomic
def settle(*, out_trade_no: str, succeed: bool) -> SandboxTrade:
    """The payer's choice on the hosted page: pay, or simulate a failure. One conditional
    UPDATE, so a trade is settled once (a double click or a second tab finds it settled)
    and never after it was closed or expired. Schedules the signed notification after
    commit. Raises ``TradeNotFound`` and ``TradeNotPayable``."""
    trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
    if trade is None:
        raise TradeNotFound(out_trade_no)
    now = timezone.now()
    status = SandboxTrade.Status.PAID if succeed else SandboxTrade.Status.FAILED
    settled = (
        SandboxTrade.objects.filter(pk=trade.pk, status=SandboxTrade.Status.WAITING)
        .exclude(expires_at__lte=now)
        .update(status=status, settled_at=now)
    )
    trade.refresh_from_db()
    if not settled:
        raise TradeNotPayable(_("This payment is closed and can no longer be paid."))
    enqueue("orders.tasks.deliver_sandbox_notification", trade.pk)
    return trade


def query(*, out_trade_no: str) -> SandboxTrade:
    trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
    if trade is None:
        raise TradeNotFound(out_trade_no)
    _expire(trade)
    return trade


def close(*, out_trade_no: str) -> bool:
    """Close a waiting trade. ``True`` unless it was paid (an unknown trade takes no
    money either)."""
    now = timezone.now()
    SandboxTrade.objects.filter(
        out_trade_no=out_trade_no, status=SandboxTrade.Status.WAITING
    ).update(status=SandboxTrade.Status.CLOSED, closed_at=now)
    return not SandboxTrade.objects.filter(
        out_trade_no=out_trade_no, status=SandboxTrade.Status.PAID
    ).exists()


def refund(*, out_trade_no: str, out_request_no: str, amount: Decimal, reason: str = ""):
    """Pay ``amount`` back on a paid trade, once per ``out_request_no``: asked again (or
    concurrently) with the same number and amount, it answers with the first refund.
    Refuses (``ProviderRefused``) beyond what the trade received, on a trade not paid,
    or a number reused for another trade or amount."""
    try:
        with transaction.atomic():
            # The unique number first: a concurrent twin waits here for our commit, then
            # fails and finds our refund, before either touches the trade's balance.
            trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no).first()
            if trade is None:
                raise TradeNotFound(out_trade_no)
            made = SandboxRefund.objects.create(
                trade=trade,
                out_request_no=out_request_no,
                refund_no=new_number("SBXR", digits=8, with_time=True),
                amount=amount,
                reason=reason[:200],
            )
            taken = SandboxTrade.objects.filter(
                pk=trade.pk,
                status=SandboxTrade.Status.PAID,
                refunded_amount__lte=F("amount") - amount,
            ).update(refunded_amount=F("refunded_amount") + amount)
            if not taken:
                trade.refresh_from_db()
                if trade.status != SandboxTrade.Status.PAID:
                    raise ProviderRefused(f"trade {out_trade_no} is not paid")
                raise ProviderRefused(
                    f"refund of {amount} exceeds the {trade.amount - trade.refunded_amount} "
                    f"left of trade {out_trade_no}"
                )
            return made
    except IntegrityError:
        made = (
            SandboxRefund.objects.select_related("trade")
            .filter(out_request_no=out_request_no)
            .first()
        )
        if made is None:
            raise
        if made.trade.out_trade_no != out_trade_no or made.amount != amount:
            raise ProviderRefused(
                f"refund number {out_request_no} was used for another refund"
            ) from None
        return made


# --- Messages to the merchant -------------------------------------------------------------------


def notification_params(trade: SandboxTrade) -> dict[str, str]:
    """The signed body of the asynchronous notification about a settled trade."""
    params = {
        "notify_id": secrets.token_hex(16),
        "notify_time": timezone.localtime().strftime(TIME_FORMAT),
        "notify_type": NOTIFY_TYPE,
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "total_amount": f"{trade.amount:.2f}",
        "trade_status": TRADE_STATUS[trade.status],
        "subject": trade.subject,
    }
    if trade.status == SandboxTrade.Status.PAID and trade.settled_at:
        params["gmt_payment"] = timezone.localtime(trade.settled_at).strftime(TIME_FORMAT)
    return signed(params)


def return_params(trade: SandboxTrade) -> dict[str, str]:
    """The signed parameters the payer's browser carries back to the merchant."""
    return signed(
        {
            "method": RETURN_METHOD,
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "total_amount": f"{trade.amount:.2f}",
            "timestamp": timezone.localtime().strftime(TIME_FORMAT),
        }
    )


def return_url(trade: SandboxTrade) -> str:
    """Where the hosted page sends the browser back: the merchant's return URL with the
    signed return parameters added to its query."""
    parts = urlsplit(trade.return_url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *return_params(trade).items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere: the merchant must answer at the URL it gave.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxy from the environment either: the notification goes straight to the shop.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def _post(url: str, body: bytes, timeout: float) -> str:
    request = urllib.request.Request(  # noqa: S310  (scheme and host checked by the caller)
        url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        method="POST",
    )
    with _opener.open(request, timeout=timeout) as response:
        return response.read(200).decode("utf-8", errors="replace").strip()


def notify_url_allowed(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in set(
        settings.MALL_SANDBOX_NOTIFY_HOSTS
    )


DELIVERED = "delivered"
RETRY = "retry"
UNDELIVERABLE = "undeliverable"


def deliver_notification(trade_id: int) -> str:
    """POST the signed notification of a settled trade to the merchant's ``notify_url``.

    Returns ``DELIVERED`` once the merchant answered ``success`` (then, and on every later
    call, nothing is sent again), ``RETRY`` when it did not (an error, a timeout, any
    other answer: the caller tries again later), and ``UNDELIVERABLE`` for a URL outside
    ``MALL_SANDBOX_NOTIFY_HOSTS`` (the sandbox never sends traffic off this machine).
    """
    trade = SandboxTrade.objects.get(pk=trade_id)
    if trade.notified_at or trade.status not in (
        SandboxTrade.Status.PAID,
        SandboxTrade.Status.FAILED,
    ):
        return DELIVERED
    if not notify_url_allowed(trade.notify_url):
        logger.warning(
            "sandbox notification not sent: host not allowed",
            extra={"trade_no": trade.trade_no, "notify_url": trade.notify_url},
        )
        SandboxTrade.objects.filter(pk=trade.pk).update(
            last_notify_result="refused: host not in MALL_SANDBOX_NOTIFY_HOSTS"
        )
        return UNDELIVERABLE
    body = urlencode(notification_params(trade)).encode()
    try:
        answer = _post(trade.notify_url, body, settings.MALL_SANDBOX_NOTIFY_TIMEOUT)
    except (urllib.error.URLError, OSError, ValueError) as error:
        answer = f"error: {error}"
    now = timezone.now()
    delivered = answer == "success"
    SandboxTrade.objects.filter(pk=trade.pk).update(
        notify_attempts=F("notify_attempts") + 1,
        last_notify_result=answer[:200],
        **({"notified_at": now} if delivered else {}),
    )
    if not delivered:
        logger.info(
            "sandbox notification not acknowledged",
            extra={"trade_no": trade.trade_no, "answer": answer[:200]},
        )
    return DELIVERED if delivered else RETRY
