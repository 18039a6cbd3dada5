"""Alipay (支付宝) through its open API gateway: 电脑网站支付 (alipay.trade.page.pay) for
desktop browsers, 手机网站支付 (alipay.trade.wap.pay) for phones, query, refund, refund
query, close, and the daily bill.

Signing follows Alipay's published rules for RSA2 directly (``cryptography`` does the
RSA): every request parameter but ``sign``, sorted by name, joined as ``k=v`` with
``&``, signed SHA256withRSA with the app's private key. An asynchronous notice is
verified with Alipay's public key over every parameter but ``sign`` and ``sign_type``;
an API answer over the exact text of its ``<method>_response`` member.

Settings (``MALL_ALIPAY_*``, see the README's production section): the app id, the
files holding the app's private key and Alipay's public key, optionally the seller id
(``seller_id`` of notices must match), the gateway URL and how old a notice may be.
"""

import datetime
import io
import json
import logging
import zipfile
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall import outbound
from mall.money import to_money
from orders.providers.adapters import keys
from orders.providers.base import (
    CLOSED,
    FAILED,
    REFUND_SUCCEEDED,
    SUCCEEDED,
    WAITING,
    BadSignature,
    BillEntry,
    PaymentProvider,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
    RefundNotice,
    RefundReceipt,
    ReplayedNotice,
    TradeNotFound,
    TradeNotice,
    WrongMerchant,
)

logger = logging.getLogger("orders.payments")

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
STATUS = {
    "WAIT_BUYER_PAY": WAITING,
    "TRADE_SUCCESS": SUCCEEDED,
    "TRADE_FINISHED": SUCCEEDED,
    "TRADE_CLOSED": CLOSED,
}
NOT_EXIST = {"ACQ.TRADE_NOT_EXIST"}


def signing_string(params: dict, *, leave_out=("sign",)) -> str:
    """Alipay's string to sign: the parameters but ``leave_out`` (and empty ones), sorted
    by name, ``k=v`` joined with ``&``, values as they are (not URL-encoded)."""
    return "&".join(
        f"{key}={params[key]}"
        for key in sorted(params)
        if key not in leave_out and params[key] not in ("", None)
    )


def amount(value) -> Decimal | None:
    try:
        parsed = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return to_money(parsed) if parsed.is_finite() and parsed == to_money(parsed) else None


def _time(value) -> datetime.datetime | None:
    try:
        return timezone.make_aware(datetime.datetime.strptime(str(value), TIME_FORMAT))
    except ValueError:
        return None


def response_text(body: str, member: str) -> tuple[dict, str, str]:
    """The ``member`` object of an Alipay answer, its exact text (what Alipay signed) and
    the signature. Raises ``ProviderError`` for an answer that is not Alipay's JSON."""
    try:
        whole = json.loads(body)
    except ValueError as error:
        raise ProviderUnavailable(
            f"Alipay answered something else than JSON: {body[:80]!r}"
        ) from error
    key = member if member in whole else "error_response"
    marker = f'"{key}"'
    start = body.find(marker)
    if start < 0 or not isinstance(whole.get(key), dict):
        raise ProviderUnavailable(f"Alipay's answer has no {member}")
    start = body.index(":", start + len(marker)) + 1
    while body[start] in " \t\r\n":
        start += 1
    _value, end = json.JSONDecoder().raw_decode(body, start)
    return whole[key], body[start:end], str(whole.get("sign", ""))


class AlipayProvider(PaymentProvider):
    name = "alipay"
    label = _("Alipay")

    @classmethod
    def key_problems(cls) -> list[str]:
        problems = [] if settings.MALL_ALIPAY_APP_ID else ["MALL_ALIPAY_APP_ID is not set"]
        checks = (
            lambda: keys.private_key(
                settings.MALL_ALIPAY_PRIVATE_KEY_FILE, "MALL_ALIPAY_PRIVATE_KEY_FILE"
            ),
            lambda: keys.public_key(
                settings.MALL_ALIPAY_PUBLIC_KEY_FILE, "MALL_ALIPAY_PUBLIC_KEY_FILE"
            ),
        )
        for check in checks:
            try:
                check()
            except keys.KeyProblem as error:
                problems.append(str(error))
        return problems

    def __init__(self):
        problems = self.key_problems()
        if problems:
            raise ProviderError("Alipay is not configured: " + "; ".join(problems))
        self.app_id = settings.MALL_ALIPAY_APP_ID
        self.private_key = keys.private_key(settings.MALL_ALIPAY_PRIVATE_KEY_FILE, "app key")
        self.alipay_key = keys.public_key(settings.MALL_ALIPAY_PUBLIC_KEY_FILE, "Alipay key")
        self.gateway = settings.MALL_ALIPAY_GATEWAY

    # --- Requests --------------------------------------------------------------------------

    def signed_params(self, method: str, biz: dict, **extra) -> dict:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": timezone.localtime().strftime(TIME_FORMAT),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **{key: value for key, value in extra.items() if value},
        }
        params["sign"] = keys.sign(self.private_key, signing_string(params))
        return params

    def call(self, method: str, biz: dict) -> dict:
        """POST one API method to the gateway and return its verified ``..._response``
        object when its code is 10000. Raises ``TradeNotFound``, ``ProviderRefused`` or
        ``ProviderUnavailable``."""
        params = self.signed_params(method, biz)
        try:
            answer = outbound.request(
                "POST",
                f"{self.gateway}?charset=utf-8",
                body=urlencode(params).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            )
        except outbound.Unreachable as error:
            raise ProviderUnavailable(str(error)) from error
        if answer.status >= 500:
            raise ProviderUnavailable(f"Alipay answered HTTP {answer.status}")
        member = method.replace(".", "_") + "_response"
        data, signed, signature = response_text(answer.text(), member)
        code, sub_code = str(data.get("code", "")), str(data.get("sub_code", ""))
        if signature and not keys.verify(self.alipay_key, signed, signature):
            raise ProviderUnavailable(f"Alipay's answer to {method} has a bad signature")
        if code == "10000":
            if not signature:
                raise ProviderUnavailable(f"Alipay's answer to {method} is not signed")
            return data
        message = f"{method}: {code} {data.get('msg', '')} {sub_code} {data.get('sub_msg', '')}"
        if sub_code in NOT_EXIST:
            raise TradeNotFound(message)
        if code == "20000" or sub_code.endswith("SYSTEM_ERROR"):
            raise ProviderUnavailable(message)
        raise ProviderRefused(message)

    # --- The six verbs ---------------------------------------------------------------------

    def create_trade(
        self, *, out_trade_no, amount, subject, notify_url, return_url, expires_at=None, client=None
    ) -> str:
        mobile = bool(client and client.mobile)
        biz = {
            "out_trade_no": out_trade_no,
            "total_amount": f"{amount:.2f}",
            "subject": subject[:256],
            "product_code": "QUICK_WAP_WAY" if mobile else "FAST_INSTANT_TRADE_PAY",
        }
        if expires_at is not None:
            biz["time_expire"] = timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M:%S")
        if mobile:
            biz["quit_url"] = return_url
        method = "alipay.trade.wap.pay" if mobile else "alipay.trade.page.pay"
        params = self.signed_params(method, biz, notify_url=notify_url, return_url=return_url)
        # Both page methods are a signed GET to the gateway in the shopper's browser.
        return f"{self.gateway}?{urlencode(params)}"

    def _verified(self, params: dict, *, leave_out) -> dict:
        params = {str(k): str(v) for k, v in params.items()}
        signature = params.get("sign", "")
        if not signature or not keys.verify(
            self.alipay_key, signing_string(params, leave_out=leave_out), signature
        ):
            raise BadSignature("Alipay's signature does not verify")
        if params.get("app_id") != self.app_id:
            raise WrongMerchant(f"app_id {params.get('app_id', '')!r} is not ours")
        seller = settings.MALL_ALIPAY_SELLER_ID
        if seller and params.get("seller_id", seller) != seller:
            raise WrongMerchant(f"seller_id {params.get('seller_id', '')!r} is not ours")
        return params

    def parse_notification(self, params):
        params = self._verified(params, leave_out=("sign", "sign_type"))
        if params.get("notify_type") != "trade_status_sync":
            raise BadSignature("not a trade notification")
        sent = _time(params.get("notify_time"))
        max_age = datetime.timedelta(seconds=settings.MALL_ALIPAY_NOTICE_MAX_AGE)
        if sent is None or abs(timezone.now() - sent) > max_age:
            raise ReplayedNotice(f"notify_time {params.get('notify_time', '')!r} is too old")
        if params.get("out_biz_no") or amount(params.get("refund_fee")):
            # A refund changed the trade (Alipay notifies it with the trade's status).
            return RefundNotice(
                out_trade_no=params.get("out_trade_no", ""),
                refund_no=params.get("out_biz_no", ""),
                provider_refund_no=params.get("trade_no", ""),
                status=REFUND_SUCCEEDED,
                amount=None,  # refund_fee is the trade's refunded total, not this refund's
                raw=params,
                notice_id=params.get("notify_id", ""),
            )
        return TradeNotice(
            out_trade_no=params.get("out_trade_no", ""),
            status=STATUS.get(params.get("trade_status", ""), WAITING),
            amount=amount(params.get("total_amount")),
            provider_trade_no=params.get("trade_no", ""),
            paid_at=_time(params.get("gmt_payment")),
            raw=params,
            notice_id=params.get("notify_id", ""),
        )

    def parse_return(self, params):
        params = self._verified(params, leave_out=("sign", "sign_type"))
        return TradeNotice(
            out_trade_no=params.get("out_trade_no", ""),
            status=WAITING,  # a return proves nothing: the shop queries
            amount=amount(params.get("total_amount")),
            provider_trade_no=params.get("trade_no", ""),
            raw=params,
        )

    def query_trade(self, *, out_trade_no) -> TradeNotice:
        data = self.call("alipay.trade.query", {"out_trade_no": out_trade_no})
        status = STATUS.get(str(data.get("trade_status", "")), FAILED)
        return TradeNotice(
            out_trade_no=str(data.get("out_trade_no", out_trade_no)),
            status=status,
            amount=amount(data.get("total_amount")),
            provider_trade_no=str(data.get("trade_no", "")),
            paid_at=_time(data.get("send_pay_date")) if status == SUCCEEDED else None,
            raw=data,
        )

    def refund(self, *, out_trade_no, refund_no, amount, reason) -> RefundReceipt:
        data = self.call(
            "alipay.trade.refund",
            {
                "out_trade_no": out_trade_no,
                "refund_amount": f"{amount:.2f}",
                "out_request_no": refund_no,
                "refund_reason": reason[:256],
            },
        )
        if data.get("fund_change") == "Y":
            return RefundReceipt(refund_no, str(data.get("trade_no", "")), amount)
        # "N": no money moved by this call; asked again with the same number, Alipay
        # answers so. The refund query says whether the refund itself went through.
        return self.query_refund(out_trade_no=out_trade_no, refund_no=refund_no)

    def query_refund(self, *, out_trade_no, refund_no) -> RefundReceipt:
        data = self.call(
            "alipay.trade.fastpay.refund.query",
            {"out_trade_no": out_trade_no, "out_request_no": refund_no},
        )
        refunded = amount(data.get("refund_amount"))
        if refunded is None:
            raise ProviderRefused(f"Alipay knows no refund {refund_no}")
        # Alipay: an answer with the refund and an empty status, or REFUND_SUCCESS, is done.
        settled = data.get("refund_status", "REFUND_SUCCESS") in ("", "REFUND_SUCCESS")
        return RefundReceipt(refund_no, str(data.get("trade_no", "")), refunded, settled=settled)

    def close_trade(self, *, out_trade_no) -> bool:
        try:
            self.call("alipay.trade.close", {"out_trade_no": out_trade_no})
        except TradeNotFound:
            return True  # the shopper never opened the page: Alipay has no trade to pay
        except ProviderRefused:
            notice = self.query_trade(out_trade_no=out_trade_no)
            return notice.status != SUCCEEDED
        return True

    # --- Operations ------------------------------------------------------------------------

    def fetch_bill(self, *, bill_date) -> list[BillEntry]:
        data = self.call(
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": bill_date.isoformat()},
        )
        url = str(data.get("bill_download_url", ""))
        try:
            answer = outbound.request("GET", url)
        except outbound.Unreachable as error:
            raise ProviderUnavailable(str(error)) from error
        if answer.status != 200:
            raise ProviderUnavailable(f"the bill download answered HTTP {answer.status}")
        return parse_bill(answer.body)


def parse_bill(archive: bytes) -> list[BillEntry]:
    """The payments and refunds of an Alipay trade bill: a zip holding GBK CSV files, of
    which the 业务明细 (not its 汇总) lists one trade or refund a line, with ``#`` comment
    lines around a header row. Columns are found by their header names."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            names = [n for n in bundle.namelist() if "汇总" not in n and n.endswith(".csv")]
            texts = [bundle.read(n).decode("gb18030") for n in names]
    except (zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise ProviderError(f"the Alipay bill is not a zip of CSV files: {error}") from error
    entries = []
    for text in texts:
        header = None
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cells = [cell.strip() for cell in line.split(",")]
            if header is None:
                if "商户订单号" in cells and "业务类型" in cells:
                    header = {name: i for i, name in enumerate(cells)}
                continue
            row = {name: cells[i] if i < len(cells) else "" for name, i in header.items()}
            money = amount(row.get("订单金额（元）", "").lstrip("-"))
            if money is None or not row.get("商户订单号"):
                continue
            refund = row.get("业务类型") == "退款"
            entries.append(
                BillEntry(
                    kind="refund" if refund else "payment",
                    out_trade_no=row["商户订单号"],
                    amount=money,
                    provider_trade_no=row.get("支付宝交易号", ""),
                    refund_no=row.get("退款批次号/请求号", "") if refund else "",
                )
            )
    return entries
