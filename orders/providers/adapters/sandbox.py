"""The shop's adapter for the sandbox provider (``orders.providers.sandbox_gateway``).

A real adapter would speak HTTP to its provider's gateway; this one calls the sandbox's
functions in-process, and reads the sandbox's signed messages exactly as an Alipay
adapter reads Alipay's (verify first, then trust).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.money import to_money
from orders.providers.adapters import sandbox_gateway as gateway
from orders.providers.base import (
    CLOSED,
    FAILED,
    SUCCEEDED,
    WAITING,
    BadSignature,
    PaymentProvider,
    RefundReceipt,
    TradeNotice,
)

_STATUS_BY_TRADE_STATUS = {
    "WAIT_BUYER_PAY": WAITING,
    "TRADE_SUCCESS": SUCCEEDED,
    "TRADE_FAILED": FAILED,
    "TRADE_CLOSED": CLOSED,
}
_STATUS_BY_BOOKS = {
    gateway.SandboxTrade.Status.WAITING: WAITING,
    gateway.SandboxTrade.Status.PAID: SUCCEEDED,
    gateway.SandboxTrade.Status.FAILED: FAILED,
    gateway.SandboxTrade.Status.CLOSED: CLOSED,
}


def _amount(value) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return to_money(amount) if amount.is_finite() and amount == to_money(amount) else None


def _time(value) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.strptime(str(value), gateway.TIME_FORMAT)
    except ValueError:
        return None
    return timezone.make_aware(moment)


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    label = _("Sandbox (test payments, no real money)")

    def __init__(self):
        if not settings.MALL_SANDBOX_PAY_SECRET:
            raise ImproperlyConfigured("The sandbox provider needs MALL_SANDBOX_PAY_SECRET.")

    def create_trade(
        self, *, out_trade_no, amount, subject, notify_url, return_url, expires_at=None, client=None
    ) -> str:
        trade = gateway.open_trade(
            out_trade_no=out_trade_no,
            amount=amount,
            subject=subject,
            notify_url=notify_url,
            return_url=return_url,
            expires_at=expires_at,
        )
        return gateway.pay_page_url(trade)

    def _verified(self, params: dict) -> dict:
        params = {key: value for key, value in params.items()}
        if not gateway.verify(params):
            raise BadSignature("the sandbox's signature does not verify")
        return params

    def parse_notification(self, params) -> TradeNotice:
        params = self._verified(params)
        if params.get("notify_type") != gateway.NOTIFY_TYPE:
            raise BadSignature("not a notification of the sandbox")
        return TradeNotice(
            out_trade_no=params.get("out_trade_no", ""),
            status=_STATUS_BY_TRADE_STATUS.get(params.get("trade_status", ""), WAITING),
            amount=_amount(params.get("total_amount")),
            provider_trade_no=params.get("trade_no", ""),
            paid_at=_time(params.get("gmt_payment")),
            raw=params,
        )

    def parse_return(self, params) -> TradeNotice:
        params = self._verified(params)
        if params.get("method") != gateway.RETURN_METHOD:
            raise BadSignature("not a return of the sandbox's pay page")
        return TradeNotice(
            out_trade_no=params.get("out_trade_no", ""),
            status=WAITING,  # a return proves nothing about payment: the shop queries
            amount=_amount(params.get("total_amount")),
            provider_trade_no=params.get("trade_no", ""),
            raw=params,
        )

    def query_trade(self, *, out_trade_no) -> TradeNotice:
        trade = gateway.query(out_trade_no=out_trade_no)
        return TradeNotice(
            out_trade_no=trade.out_trade_no,
            status=_STATUS_BY_BOOKS[trade.status],
            amount=trade.amount,
            provider_trade_no=trade.trade_no,
            paid_at=trade.settled_at if trade.status == trade.Status.PAID else None,
        )

    def refund(self, *, out_trade_no, refund_no, amount, reason) -> RefundReceipt:
        made = gateway.refund(
            out_trade_no=out_trade_no, out_request_no=refund_no, amount=amount, reason=reason
        )
        return RefundReceipt(
            refund_no=refund_no, provider_refund_no=made.refund_no, amount=made.amount
        )

    def close_trade(self, *, out_trade_no) -> bool:
        return gateway.close(out_trade_no=out_trade_no)
