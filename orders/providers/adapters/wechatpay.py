"""WeChat Pay (微信支付) API v3: Native (a QR code the shopper scans, for desktop browsers)
and H5 (phones' browsers), query, close, refund with its notification, refund query, and
the daily trade bill.

Implemented on WeChat Pay's published API v3 rules with ``cryptography``:

- every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
  signature=..,timestamp=..,serial_no=..``, the signature being SHA256withRSA with the
  merchant's API key over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``;
- every answer and notification is verified with the platform certificate named by its
  ``Wechatpay-Serial`` header, over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (``Wechatpay-Timestamp``,
  ``Wechatpay-Nonce``, ``Wechatpay-Signature``), and a notification more than
  ``MALL_WECHATPAY_NOTICE_MAX_AGE`` seconds old is a replay;
- a notification's ``resource`` is AEAD_AES_256_GCM ciphertext, decrypted with the API v3
  key, its ``nonce`` and ``associated_data``.

Amounts go to WeChat Pay in fen (integers) and come back as two-place ``Decimal``.
"""

import base64
import datetime
import hashlib
import json
import secrets
import time
from decimal import Decimal
from urllib.parse import quote, urlencode, urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall import outbound
from mall.money import to_money
from orders.providers.adapters import keys
from orders.providers.base import (
    CLOSED,
    FAILED,
    REFUND_FAILED,
    REFUND_PROCESSING,
    REFUND_SUCCEEDED,
    SUCCEEDED,
    WAITING,
    BadSignature,
    BillEntry,
    NoticeAnswer,
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

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
STATUS = {
    "SUCCESS": SUCCEEDED,
    "REFUND": SUCCEEDED,  # paid, then (partly) refunded
    "NOTPAY": WAITING,
    "USERPAYING": WAITING,
    "CLOSED": CLOSED,
    "REVOKED": CLOSED,
    "PAYERROR": FAILED,
}
REFUND_STATUS = {
    "SUCCESS": REFUND_SUCCEEDED,
    "PROCESSING": REFUND_PROCESSING,
    "CLOSED": REFUND_FAILED,
    "ABNORMAL": REFUND_FAILED,
}
NOT_FOUND = {"ORDER_NOT_EXIST", "ORDERNOTEXIST", "RESOURCE_NOT_EXISTS"}
QR_SALT = "orders.wechatpay.qr"


def fen(amount: Decimal) -> int:
    return int(to_money(amount) * 100)


def yuan(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return to_money(Decimal(value) / 100)


def _time(value) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def qr_token(out_trade_no: str, code_url: str) -> str:
    """The shop's QR page carries the ``code_url`` signed, so nobody can make the shop
    show another payee's code."""
    return signing.dumps({"no": out_trade_no, "url": code_url}, salt=QR_SALT)


def read_qr_token(token: str, *, max_age: int = 2 * 3600) -> dict:
    return signing.loads(token, salt=QR_SALT, max_age=max_age)


class WechatPayProvider(PaymentProvider):
    name = "wechatpay"
    label = _("WeChat Pay")

    @classmethod
    def _apiv3_key(cls) -> bytes:
        if settings.MALL_WECHATPAY_APIV3_KEY_FILE:
            key = keys.read_file(
                settings.MALL_WECHATPAY_APIV3_KEY_FILE, "MALL_WECHATPAY_APIV3_KEY_FILE"
            )
            key = key.strip()
        else:
            key = settings.MALL_WECHATPAY_APIV3_KEY.encode()
        if len(key) != 32:
            raise keys.KeyProblem(
                "the API v3 key must be 32 bytes (MALL_WECHATPAY_APIV3_KEY or _FILE)"
            )
        return key

    @classmethod
    def key_problems(cls) -> list[str]:
        problems = [
            f"{name} is not set"
            for name in (
                "MALL_WECHATPAY_MCHID",
                "MALL_WECHATPAY_APPID",
                "MALL_WECHATPAY_CERT_SERIAL",
            )
            if not getattr(settings, name)
        ]
        checks = (
            lambda: keys.private_key(
                settings.MALL_WECHATPAY_PRIVATE_KEY_FILE, "MALL_WECHATPAY_PRIVATE_KEY_FILE"
            ),
            lambda: keys.certificates(
                settings.MALL_WECHATPAY_PLATFORM_CERT_FILE, "MALL_WECHATPAY_PLATFORM_CERT_FILE"
            ),
            cls._apiv3_key,
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
            raise ProviderError("WeChat Pay is not configured: " + "; ".join(problems))
        self.mchid = settings.MALL_WECHATPAY_MCHID
        self.appid = settings.MALL_WECHATPAY_APPID
        self.serial = settings.MALL_WECHATPAY_CERT_SERIAL
        self.private_key = keys.private_key(settings.MALL_WECHATPAY_PRIVATE_KEY_FILE, "API key")
        self.platform = keys.certificates(settings.MALL_WECHATPAY_PLATFORM_CERT_FILE, "platform")
        self.apiv3_key = self._apiv3_key()
        self.base = settings.MALL_WECHATPAY_API_BASE.rstrip("/")

    # --- Signed requests -------------------------------------------------------------------

    def authorization(self, method: str, path: str, body: str) -> str:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"
        signature = keys.sign(self.private_key, message)
        return (
            f'{SCHEMA} mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.serial}"'
        )

    def verify(self, *, timestamp: str, nonce: str, signature: str, serial: str, body: str) -> bool:
        cert = self.platform.get(serial.upper())
        if cert is None:
            return False
        return keys.verify(cert.public_key(), f"{timestamp}\n{nonce}\n{body}\n", signature)

    def call(self, method: str, path: str, payload: dict | None = None, *, raw: bool = False):
        """One signed call; returns the verified JSON (or bytes with ``raw``; None for a
        204). Raises ``TradeNotFound``, ``ProviderRefused`` or ``ProviderUnavailable``."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else ""
        url = path if path.startswith("http") else self.base + path
        parts = urlsplit(url)
        signed_path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Authorization": self.authorization(method, signed_path, body),
            "Accept": "application/json",
            "User-Agent": "mall",
        }
        if body:
            headers["Content-Type"] = "application/json"
        try:
            answer = outbound.request(method, url, body=body.encode() or None, headers=headers)
        except outbound.Unreachable as error:
            raise ProviderUnavailable(str(error)) from error
        if answer.status >= 500:
            raise ProviderUnavailable(f"WeChat Pay answered HTTP {answer.status}")
        if raw and answer.status == 200:
            return answer.body  # the bill file: checked by its SHA1 instead
        text = answer.text()
        h = answer.headers
        if not self.verify(
            timestamp=h.get("wechatpay-timestamp", ""),
            nonce=h.get("wechatpay-nonce", ""),
            signature=h.get("wechatpay-signature", ""),
            serial=h.get("wechatpay-serial", ""),
            body=text,
        ):
            raise ProviderUnavailable(f"WeChat Pay's answer to {method} {parts.path} is not signed")
        data = json.loads(text) if text else None
        if answer.status in (200, 204):
            return data
        code = str((data or {}).get("code", ""))
        message = (
            f"{method} {parts.path}: HTTP {answer.status} {code} {(data or {}).get('message', '')}"
        )
        if code in NOT_FOUND or answer.status == 404:
            raise TradeNotFound(message)
        if code in ("SYSTEM_ERROR", "FREQUENCY_LIMITED", "FREQUENCY_LIMIT_EXCEED"):
            raise ProviderUnavailable(message)
        raise ProviderRefused(message)

    # --- The six verbs ---------------------------------------------------------------------

    def create_trade(
        self, *, out_trade_no, amount, subject, notify_url, return_url, expires_at=None, client=None
    ) -> str:
        payload = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": subject[:127],
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": fen(amount), "currency": "CNY"},
        }
        if expires_at is not None:
            payload["time_expire"] = timezone.localtime(expires_at).isoformat(timespec="seconds")
        if client and client.mobile:
            payload["scene_info"] = {
                "payer_client_ip": client.ip or "127.0.0.1",
                "h5_info": {"type": "Wap"},
            }
            data = self.call("POST", "/v3/pay/transactions/h5", payload)
            return f"{data['h5_url']}&redirect_url={quote(return_url, safe='')}"
        data = self.call("POST", "/v3/pay/transactions/native", payload)
        token = qr_token(out_trade_no, str(data["code_url"]))
        return reverse("payments:wechatpay_qr", args=[token])

    def notification_params(self, *, body, headers, form) -> dict:
        return {
            "body": body.decode("utf-8", errors="replace"),
            "timestamp": headers.get("Wechatpay-Timestamp", ""),
            "nonce": headers.get("Wechatpay-Nonce", ""),
            "signature": headers.get("Wechatpay-Signature", ""),
            "serial": headers.get("Wechatpay-Serial", ""),
        }

    def notification_answer(self, *, accepted) -> NoticeAnswer:
        if accepted:
            return NoticeAnswer(204, "")
        return NoticeAnswer(
            400,
            json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False),
            "application/json",
        )

    def decrypt(self, resource: dict) -> dict:
        try:
            plain = AESGCM(self.apiv3_key).decrypt(
                str(resource["nonce"]).encode(),
                base64.b64decode(resource["ciphertext"]),
                str(resource.get("associated_data", "")).encode(),
            )
            return json.loads(plain)
        except Exception as error:  # any failure: the resource is not ours or was altered
            raise BadSignature(f"the resource does not decrypt: {type(error).__name__}") from error

    def parse_notification(self, params):
        body = str(params.get("body", ""))
        if not self.verify(
            timestamp=str(params.get("timestamp", "")),
            nonce=str(params.get("nonce", "")),
            signature=str(params.get("signature", "")),
            serial=str(params.get("serial", "")),
            body=body,
        ):
            raise BadSignature("WeChat Pay's signature does not verify")
        try:
            sent = int(str(params.get("timestamp")))
        except ValueError:
            sent = 0
        if abs(time.time() - sent) > settings.MALL_WECHATPAY_NOTICE_MAX_AGE:
            raise ReplayedNotice(f"Wechatpay-Timestamp {params.get('timestamp')!r} is too old")
        try:
            envelope = json.loads(body)
        except ValueError as error:
            raise BadSignature("the notification is not JSON") from error
        data = self.decrypt(envelope.get("resource") or {})
        if (
            data.get("mchid", self.mchid) != self.mchid
            or data.get("appid", self.appid) != self.appid
        ):
            raise WrongMerchant(
                f"mchid {data.get('mchid')!r} / appid {data.get('appid')!r} is not ours"
            )
        event = str(envelope.get("event_type", ""))
        raw = {"envelope": envelope, "resource": data}
        if event.startswith("REFUND."):
            return RefundNotice(
                out_trade_no=str(data.get("out_trade_no", "")),
                refund_no=str(data.get("out_refund_no", "")),
                provider_refund_no=str(data.get("refund_id", "")),
                status=REFUND_STATUS.get(str(data.get("refund_status", "")), REFUND_PROCESSING),
                amount=yuan((data.get("amount") or {}).get("refund")),
                raw=raw,
                notice_id=str(envelope.get("id", "")),
            )
        return self._trade(data, raw=raw, notice_id=str(envelope.get("id", "")))

    def _trade(self, data: dict, *, raw=None, notice_id="") -> TradeNotice:
        status = STATUS.get(str(data.get("trade_state", "")), WAITING)
        return TradeNotice(
            out_trade_no=str(data.get("out_trade_no", "")),
            status=status,
            amount=yuan((data.get("amount") or {}).get("total")),
            provider_trade_no=str(data.get("transaction_id", "")),
            paid_at=_time(data.get("success_time")) if status == SUCCEEDED else None,
            raw=raw or data,
            notice_id=notice_id,
        )

    def parse_return(self, params):
        # WeChat Pay sends the shopper back without signed parameters; the shop queries.
        return TradeNotice(
            out_trade_no=str(params.get("out_trade_no", "")), status=WAITING, amount=None
        )

    def query_trade(self, *, out_trade_no) -> TradeNotice:
        data = self.call(
            "GET", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}?mchid={self.mchid}"
        )
        if data.get("mchid", self.mchid) != self.mchid:
            raise ProviderRefused("WeChat Pay answered about another merchant's trade")
        return self._trade(data)

    def close_trade(self, *, out_trade_no) -> bool:
        try:
            self.call(
                "POST",
                f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close",
                {"mchid": self.mchid},
            )
        except TradeNotFound:
            return True
        except ProviderRefused:
            return self.query_trade(out_trade_no=out_trade_no).status != SUCCEEDED
        return True

    def _receipt(self, data: dict, refund_no: str) -> RefundReceipt:
        status = REFUND_STATUS.get(str(data.get("status", "")), REFUND_PROCESSING)
        if status == REFUND_FAILED:
            raise ProviderRefused(f"WeChat Pay refund {refund_no} is {data.get('status')}")
        return RefundReceipt(
            refund_no=refund_no,
            provider_refund_no=str(data.get("refund_id", "")),
            amount=yuan((data.get("amount") or {}).get("refund")) or Decimal("0.00"),
            settled=status == REFUND_SUCCEEDED,
        )

    def refund(self, *, out_trade_no, refund_no, amount, reason) -> RefundReceipt:
        trade = self.query_trade(out_trade_no=out_trade_no)
        if trade.amount is None:
            raise ProviderRefused(f"WeChat Pay reports no amount for {out_trade_no}")
        data = self.call(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": refund_no,
                "reason": reason[:80],
                "notify_url": settings.MALL_SITE_URL.rstrip("/")
                + reverse("payments:notify", args=[self.name]),
                "amount": {"refund": fen(amount), "total": fen(trade.amount), "currency": "CNY"},
            },
        )
        return self._receipt(data, refund_no)

    def query_refund(self, *, out_trade_no, refund_no) -> RefundReceipt:
        return self._receipt(
            self.call("GET", f"/v3/refund/domestic/refunds/{quote(refund_no)}"), refund_no
        )

    # --- Operations ------------------------------------------------------------------------

    def fetch_bill(self, *, bill_date) -> list[BillEntry]:
        query = urlencode({"bill_date": bill_date.isoformat(), "bill_type": "ALL"})
        data = self.call("GET", f"/v3/bill/tradebill?{query}")
        content = self.call("GET", str(data["download_url"]), raw=True)
        if not isinstance(content, bytes):
            raise ProviderUnavailable("the bill download gave no file")
        if hashlib.sha1(content).hexdigest().lower() != str(data.get("hash_value", "")).lower():  # noqa: S324 (WeChat Pay's published hash of the bill)
            raise ProviderError("the bill's SHA1 does not match the hash WeChat Pay gave")
        return parse_bill(content.decode("utf-8-sig"))


def parse_bill(text: str) -> list[BillEntry]:
    """The payments and refunds of a WeChat Pay trade bill (``bill_type=ALL``): a CSV whose
    cells each start with a backquote, a header row, one row per trade (交易状态 SUCCESS) or
    refund (REFUND), then a summary block. Columns are found by their header names."""
    entries, header = [], None
    for line in text.splitlines():
        cells = [cell.strip().lstrip("`") for cell in line.split(",")]
        if header is None:
            if "商户订单号" in cells and "交易状态" in cells:
                header = {name: i for i, name in enumerate(cells)}
            continue
        if cells and cells[0].startswith("总"):  # the summary block
            break
        row = {name: cells[i] if i < len(cells) else "" for name, i in header.items()}
        state = row.get("交易状态", "")
        try:
            if state == "REFUND":
                money = to_money(Decimal(row.get("退款金额", "")))
            else:
                money = to_money(Decimal(row.get("订单金额") or row.get("应结订单金额", "")))
        except ArithmeticError:
            continue
        entries.append(
            BillEntry(
                kind="refund" if state == "REFUND" else "payment",
                out_trade_no=row.get("商户订单号", ""),
                amount=abs(money),
                provider_trade_no=row.get("微信订单号", ""),
                refund_no=row.get("商户退款单号", "") if state == "REFUND" else "",
            )
        )
    return entries
