"""WeChat Pay API v3 through its adapter: notifications built as WeChat Pay documents them
(the resource encrypted AEAD_AES_256_GCM with the API v3 key, the body signed with the
platform key over timestamp, nonce and body), posted with their headers to the shop's
real notification URL; outgoing calls checked at a stub API on 127.0.0.1 for the
documented fields and an Authorization that verifies with the merchant's public key."""

import base64
import datetime
import hashlib
import json
import re
import secrets
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, Payment, PaymentNotification, Refund
from orders.providers.adapters import wechatpay
from orders.providers.registry import get_provider
from orders.services import ordering, payments
from orders.views.payments import payment_urls
from tests.orders import provider_stub as stub_kit
from tests.orders.factories import listed_sku, place

Outcome = PaymentNotification.Outcome
MCHID, APPID = "1230000109", "wxd678efh567hg6787"  # the ids of WeChat Pay's documented samples
APIV3_KEY = "0123456789abcdefghijklmnopqrstuv"  # 32 bytes
PLATFORM_SERIAL = 0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1
AUTH = re.compile(
    r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>[^"]+)",nonce_str="(?P<nonce>[^"]+)",'
    r'signature="(?P<signature>[^"]+)",timestamp="(?P<timestamp>\d+)",serial_no="(?P<serial>[^"]+)"$'
)


@pytest.fixture(scope="module")
def key_pair():
    merchant, platform = stub_kit.new_key(), stub_kit.new_key()
    return merchant, platform, stub_kit.certificate(platform, serial=PLATFORM_SERIAL)


@pytest.fixture
def wechat(settings, tmp_path, key_pair):
    merchant, platform, cert = key_pair
    (tmp_path / "apiclient_key.pem").write_bytes(stub_kit.private_pem(merchant))
    (tmp_path / "platform.pem").write_bytes(stub_kit.cert_pem(cert))
    stub, stop = stub_kit.serve(lambda seen: (500, {}, b""))
    settings.MALL_PAYMENT_PROVIDERS = ["wechatpay"]
    settings.MALL_WECHATPAY_MCHID = MCHID
    settings.MALL_WECHATPAY_APPID = APPID
    settings.MALL_WECHATPAY_CERT_SERIAL = "444F4864EA9B34415..."
    settings.MALL_WECHATPAY_PRIVATE_KEY_FILE = str(tmp_path / "apiclient_key.pem")
    settings.MALL_WECHATPAY_PLATFORM_CERT_FILE = str(tmp_path / "platform.pem")
    settings.MALL_WECHATPAY_APIV3_KEY = APIV3_KEY
    settings.MALL_WECHATPAY_API_BASE = stub.url
    settings.MALL_SITE_URL = "http://testserver"
    stub.merchant, stub.platform = merchant, platform
    yield stub
    stop()


def signed_answer(stub, status: int, data) -> tuple:
    """An answer of WeChat Pay's API: the body and its Wechatpay-* headers, signed with the
    platform key over timestamp, nonce and body."""
    body = json.dumps(data, ensure_ascii=False) if data is not None else ""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {
        "Content-Type": "application/json",
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": format(PLATFORM_SERIAL, "X"),
        "Wechatpay-Signature": stub_kit.rsa_sign(stub.platform, f"{timestamp}\n{nonce}\n{body}\n"),
    }
    return status, headers, body.encode()


def check_authorization(stub, seen) -> dict:
    match = AUTH.match(seen.headers["Authorization"])
    assert match and match["mchid"] == MCHID
    signed = (seen.method, seen.path, match["timestamp"], match["nonce"], seen.body.decode())
    message = "".join(f"{part}\n" for part in signed)
    assert stub_kit.rsa_verify(stub.merchant.public_key(), message, match["signature"])
    return seen.json() if seen.body else {}


@pytest.fixture
def order(db):
    return place(items=[(listed_sku(price="45.00", stock=10), 1)])  # 55.00


def start(wechat, order, **headers):
    request = RequestFactory().get(
        "/", HTTP_HOST="testserver", REMOTE_ADDR="203.0.113.9", **headers
    )

    def api(seen):
        payload = check_authorization(wechat, seen)
        assert payload["appid"] == APPID and payload["mchid"] == MCHID
        assert payload["amount"] == {"total": 5500, "currency": "CNY"}
        assert payload["notify_url"] == "http://testserver/payments/notify/wechatpay/"
        if seen.path == "/v3/pay/transactions/h5":
            assert payload["scene_info"]["payer_client_ip"] == "203.0.113.9"
            return signed_answer(
                wechat,
                200,
                {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"},
            )
        assert seen.path == "/v3/pay/transactions/native"
        return signed_answer(wechat, 200, {"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})

    wechat.answer = api
    return payments.start_payment(
        order=order, actor=order.user, **payment_urls(request, "wechatpay")
    )


def transaction(payment, **changes) -> dict:
    # WeChat Pay's documented decrypted transaction (支付成功通知 resource), with our ids.
    return {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": "1217752501201407033233368018",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "attach": "",
        "success_time": timezone.localtime().isoformat(timespec="seconds"),
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 5500, "payer_total": 5500, "currency": "CNY", "payer_currency": "CNY"},
        **changes,
    }


def notification(
    stub,
    resource: dict,
    *,
    event="TRANSACTION.SUCCESS",
    original="transaction",
    sent_at=None,
    ident="EV-2018022511223320873",
    key=APIV3_KEY,
) -> tuple[bytes, dict]:
    nonce, associated = "fdasflkja484w", original
    ciphertext = AESGCM(key.encode()).encrypt(
        nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode()
    )
    envelope = {  # WeChat Pay's documented notification envelope
        "id": ident,
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event,
        "summary": "支付成功",
        "resource": {
            "original_type": original,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated,
            "nonce": nonce,
        },
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    timestamp = str(int(sent_at if sent_at is not None else time.time()))
    sign_nonce = secrets.token_hex(16)
    headers = {
        "HTTP_WECHATPAY_TIMESTAMP": timestamp,
        "HTTP_WECHATPAY_NONCE": sign_nonce,
        "HTTP_WECHATPAY_SERIAL": format(PLATFORM_SERIAL, "X"),
        "HTTP_WECHATPAY_SIGNATURE": stub_kit.rsa_sign(
            stub.platform, f"{timestamp}\n{sign_nonce}\n{body.decode()}\n"
        ),
    }
    return body, headers


def post(client, body, headers):
    return client.post(
        reverse("payments:notify", args=["wechatpay"]),
        body,
        content_type="application/json",
        **headers,
    )


def test_native_shows_the_qr_code_and_h5_sends_the_phone_to_wechat(wechat, order, client):
    started = start(wechat, order)
    client.force_login(order.user)
    page = client.get(started.redirect_url)
    assert page.status_code == 200 and b"<svg" in page.content
    phone = start(wechat, order, HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Mobile Safari")
    assert phone.redirect_url.startswith("https://wx.tenpay.com/")
    assert "redirect_url=http%3A%2F%2Ftestserver%2Fpayments%2Freturn%2F" in phone.redirect_url
    client.logout()
    assert client.get(started.redirect_url).status_code == 302  # login first


def test_a_documented_notification_marks_the_order_paid_through_the_real_url(wechat, order, client):
    payment = start(wechat, order).payment
    answer = post(client, *notification(wechat, transaction(payment)))
    assert answer.status_code == 204  # WeChat Pay: taken, no body
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    payment.refresh_from_db()
    assert payment.provider_trade_no == "1217752501201407033233368018"
    record = PaymentNotification.objects.get()
    assert (record.outcome, record.notice_id) == (Outcome.ACCEPTED, "EV-2018022511223320873")


def test_tampered_replayed_wrong_amount_and_wrong_merchant_notices_are_refused(
    wechat, order, client
):
    payment = start(wechat, order).payment
    body, headers = notification(wechat, transaction(payment), ident="EV-1")
    tampered = body.replace(b"encrypt-resource", b"encrypt-resourcE")
    cases = [
        ((tampered, headers), Outcome.BAD_SIGNATURE),
        (
            notification(wechat, transaction(payment), ident="EV-2", key="X" * 32),
            Outcome.BAD_SIGNATURE,
        ),
        (
            notification(wechat, transaction(payment), ident="EV-3", sent_at=time.time() - 600),
            Outcome.REPLAYED,
        ),
        (
            notification(wechat, transaction(payment, amount={"total": 1}), ident="EV-4"),
            Outcome.WRONG_AMOUNT,
        ),
        (
            notification(wechat, transaction(payment, mchid="1900000001"), ident="EV-5"),
            Outcome.WRONG_MERCHANT,
        ),
        (
            notification(wechat, transaction(payment, appid="wx0000000000000000"), ident="EV-6"),
            Outcome.WRONG_MERCHANT,
        ),
    ]
    for (case_body, case_headers), outcome in cases:
        answer = post(client, case_body, case_headers)
        assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
        assert PaymentNotification.objects.latest("pk").outcome == outcome
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    # The genuine one still goes through, once; sent again it changes nothing.
    assert post(client, body, headers).status_code == 204
    assert post(client, body, headers).status_code == 204
    assert PaymentNotification.objects.latest("pk").outcome == Outcome.DUPLICATE
    assert Payment.objects.filter(order=order, paid_at__isnull=False).count() == 1


def test_a_notice_after_cancellation_refunds_and_the_refund_notice_settles_it(
    wechat, order, client
):
    payment = start(wechat, order).payment
    refund_requests = []

    def api(seen):
        payload = check_authorization(wechat, seen)
        if seen.path.endswith("/close"):
            assert payload == {"mchid": MCHID}
            return signed_answer(wechat, 204, None)
        if seen.path.startswith("/v3/pay/transactions/out-trade-no/"):
            assert seen.query == {"mchid": MCHID}
            return signed_answer(wechat, 200, transaction(payment))
        assert seen.path == "/v3/refund/domestic/refunds"
        refund_requests.append(payload)
        return signed_answer(
            wechat,
            200,
            {
                "refund_id": "50000000382019052709732678859",
                "out_refund_no": payload["out_refund_no"],
                "transaction_id": "1217752501201407033233368018",
                "out_trade_no": payment.out_trade_no,
                "channel": "ORIGINAL",
                "status": "PROCESSING",
                "amount": {
                    "total": 5500,
                    "refund": 5500,
                    "payer_total": 5500,
                    "payer_refund": 5500,
                },
            },
        )

    wechat.answer = api
    ordering.cancel_order(order=order, actor=order.user, reason="changed my mind")
    assert post(client, *notification(wechat, transaction(payment))).status_code == 204
    assert PaymentNotification.objects.latest("pk").outcome == Outcome.LATE
    refund = payments.submit_refund(refund=Refund.objects.get(payment=payment))
    assert refund_requests[0]["amount"] == {"refund": 5500, "total": 5500, "currency": "CNY"}
    assert refund_requests[0]["out_refund_no"] == refund.refund_no
    assert refund_requests[0]["notify_url"] == "http://testserver/payments/notify/wechatpay/"
    assert refund.status == Refund.Status.PENDING  # PROCESSING at WeChat Pay
    refund_resource = {  # the documented refund notification resource
        "mchid": MCHID,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": "1217752501201407033233368018",
        "out_refund_no": refund.refund_no,
        "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS",
        "success_time": "2018-06-08T10:34:56+08:00",
        "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 5500, "refund": 5500, "payer_total": 5500, "payer_refund": 5500},
    }
    body, headers = notification(
        wechat, refund_resource, event="REFUND.SUCCESS", original="refund", ident="EV-R"
    )
    assert post(client, body, headers).status_code == 204
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_no) == (
        Refund.Status.SUCCEEDED,
        "50000000382019052709732678859",
    )
    assert PaymentNotification.objects.latest("pk").refund == refund


def test_an_unsigned_answer_is_not_believed(wechat, order):
    payment = start(wechat, order).payment
    wechat.answer = lambda seen: (
        200,
        {"Content-Type": "application/json"},
        json.dumps(transaction(payment)).encode(),
    )
    payments.confirm_by_query(payment=payment)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CREATED


def test_the_daily_bill_is_checked_by_its_hash_and_compared(wechat, db):
    day = datetime.date(2024, 5, 1)
    o1, o2 = (place(items=[(listed_sku(price="45.00"), 1)]) for _ in range(2))
    paid_at = timezone.make_aware(datetime.datetime(2024, 5, 1, 9, 30))
    for i, o in enumerate((o1, o2)):
        Payment.objects.create(
            order=o,
            provider="wechatpay",
            out_trade_no=f"W{i}",
            amount=Decimal("55.00"),
            status=Payment.Status.SUCCEEDED,
            paid_at=paid_at,
        )
    header = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
        "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
        "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
    )

    def row(out_trade_no, amount):
        cells = [
            "2024-05-01 09:30:00",
            APPID,
            MCHID,
            "0",
            "",
            "42000001",
            out_trade_no,
            "oUp",
            "NATIVE",
            "SUCCESS",
            "CMC",
            "CNY",
            amount,
            "0.00",
            "0",
            "0",
            "0.00",
            "0.00",
            "",
            "",
            "mall",
            "",
            "0.33",
            "0.60%",
            amount,
            "0.00",
            "",
        ]
        return ",".join(f"`{c}" for c in cells)

    text = "\n".join(
        [
            header,
            row("W0", "55.00"),
            row("W1", "54.00"),
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
            "`2,`109.00,`0.00,`0.00,`0.66,`109.00,`0.00",
        ]
    ).encode()

    published_hash = hashlib.sha1(text).hexdigest()  # noqa: S324 (WeChat Pay's bill hash)

    def api(seen):
        check_authorization(wechat, seen)
        if urlsplit(seen.path).path == "/v3/billdownload/file":
            return 200, {"Content-Type": "text/plain"}, text
        assert seen.query == {"bill_date": "2024-05-01", "bill_type": "ALL"}
        return signed_answer(
            wechat,
            200,
            {
                "hash_type": "SHA1",
                "hash_value": published_hash,
                "download_url": wechat.url + "/v3/billdownload/file?token=xx",
            },
        )

    wechat.answer = api
    run = payments.reconcile_bill(provider="wechatpay", bill_date=day)
    assert [(d.kind, d.out_trade_no, d.bill_amount) for d in run.lines.all()] == [
        ("amount", "W1", Decimal("54.00"))
    ]
    text = text.replace(b"54.00", b"55.00")  # the file no longer matches its hash
    with pytest.raises(Exception, match="SHA1"):
        get_provider("wechatpay").fetch_bill(bill_date=day)


def test_keys_missing_or_expired_are_reported(wechat, settings, tmp_path):
    assert wechatpay.WechatPayProvider.key_problems() == []
    expired = stub_kit.certificate(stub_kit.new_key(), serial=7, expired=True)
    (tmp_path / "old.pem").write_bytes(stub_kit.cert_pem(expired))
    settings.MALL_WECHATPAY_PLATFORM_CERT_FILE = str(tmp_path / "old.pem")
    settings.MALL_WECHATPAY_APIV3_KEY = "short"
    problems = wechatpay.WechatPayProvider.key_problems()
    assert any("expired" in p for p in problems) and any("32 bytes" in p for p in problems)


def test_a_failed_refund_submitted_again_and_accepted_waits_for_the_provider(wechat, order, client):
    payment = start(wechat, order).payment
    assert post(client, *notification(wechat, transaction(payment))).status_code == 204
    refund = payments.refund(
        payment=Payment.objects.get(pk=payment.pk),
        amount="5.00",
        reason="goodwill",
        idempotency_key="goodwill-1",
        actor=None,
    )
    wechat.answer = lambda seen: signed_answer(wechat, 404, {"code": "ORDER_NOT_EXIST"})
    refund = payments.submit_refund(refund=refund)
    assert refund.status == Refund.Status.FAILED

    def api(seen):
        if seen.path.startswith("/v3/pay/transactions/"):
            return signed_answer(wechat, 200, transaction(payment))
        return signed_answer(
            wechat,
            200,
            {"refund_id": "5001", "status": "PROCESSING", "amount": {"refund": 500, "total": 5500}},
        )

    wechat.answer = api
    refund = payments.retry_refund(refund=refund, actor=None)
    assert (refund.status, refund.provider_refund_no) == (Refund.Status.PENDING, "5001")
