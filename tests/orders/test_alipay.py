"""Alipay through its adapter: notices signed as Alipay documents them (RSA2 over the
sorted parameters but sign and sign_type), posted to the shop's real notification URL;
outgoing calls checked at a stub gateway on 127.0.0.1 for the documented fields and a
signature that verifies with the app's public key."""

import datetime
import io
import json
import zipfile
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from orders.exceptions import PaymentRefused
from orders.models import Order, Payment, PaymentNotification, Refund
from orders.providers.registry import get_provider
from orders.services import ordering, payments
from orders.views.payments import payment_urls
from tests.orders import provider_stub as stub_kit
from tests.orders.factories import listed_sku, place

Outcome = PaymentNotification.Outcome
APP_ID = "2015102700040153"  # the app id of Alipay's documented notice sample
SELLER_ID = "2088102119685838"

# Alipay's documented asynchronous notice (异步通知) sample, field for field; the tests
# put their own payment's number, amount and times in it and sign it again.
DOC_NOTICE = {
    "total_amount": "2.00",
    "buyer_id": "2088102116773037",
    "body": "大乐透2.1",
    "trade_no": "2016071921001003030200089909",
    "notify_time": "2016-07-19 14:10:49",
    "subject": "大乐透2.1",
    "sign_type": "RSA2",
    "charset": "utf-8",
    "notify_type": "trade_status_sync",
    "out_trade_no": "0719141034-6418",
    "gmt_create": "2016-07-19 14:10:44",
    "gmt_payment": "2016-07-19 14:10:47",
    "trade_status": "TRADE_SUCCESS",
    "version": "1.0",
    "app_id": APP_ID,
    "seller_id": SELLER_ID,
    "notify_id": "4a91b7a78a503640467525113fb7d8bg8e",
}


def documented_string(params: dict, leave_out=("sign", "sign_type")) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in leave_out and params[k])


@pytest.fixture(scope="module")
def key_pair():
    return stub_kit.new_key(), stub_kit.new_key()  # the app's, Alipay's


@pytest.fixture
def alipay(settings, tmp_path, key_pair):
    app_key, alipay_key = key_pair
    (tmp_path / "app.pem").write_bytes(stub_kit.private_pem(app_key))
    (tmp_path / "alipay.pub").write_bytes(stub_kit.public_base64(alipay_key))
    stub, stop = stub_kit.serve()
    settings.MALL_PAYMENT_PROVIDERS = ["alipay"]
    settings.MALL_ALIPAY_APP_ID = APP_ID
    settings.MALL_ALIPAY_SELLER_ID = SELLER_ID
    settings.MALL_ALIPAY_PRIVATE_KEY_FILE = str(tmp_path / "app.pem")
    settings.MALL_ALIPAY_PUBLIC_KEY_FILE = str(tmp_path / "alipay.pub")
    settings.MALL_ALIPAY_GATEWAY = stub.url + "/gateway.do"
    stub.app_key, stub.alipay_key = app_key, alipay_key
    stub.answer = lambda seen: (500, {}, b"")
    yield stub
    stop()


def gateway_answer(stub, method: str, response: dict):
    """What Alipay's gateway answers: ``<method>_response`` signed with Alipay's key."""
    member = method.replace(".", "_") + "_response"
    text = json.dumps(response, ensure_ascii=False, separators=(",", ":"))
    sign = stub_kit.rsa_sign(stub.alipay_key, text)
    return f'{{"{member}":{text},"sign":"{sign}"}}'.encode()


def check_signed(stub, seen) -> dict:
    form = seen.form
    assert form["app_id"] == APP_ID and form["sign_type"] == "RSA2" and form["charset"] == "utf-8"
    assert form["format"] == "JSON" and form["version"] == "1.0"
    assert stub_kit.rsa_verify(
        stub.app_key.public_key(), documented_string(form, ("sign",)), form["sign"]
    )
    return json.loads(form["biz_content"])


@pytest.fixture
def order(db):
    return place(items=[(listed_sku(price="45.00", stock=10), 1)])  # 55.00 with shipping


def start(order, **headers):
    request = RequestFactory().get("/", HTTP_HOST="testserver", **headers)
    return payments.start_payment(order=order, actor=order.user, **payment_urls(request, "alipay"))


def notice(stub, payment, **changes) -> dict:
    now = timezone.localtime()
    params = {
        **DOC_NOTICE,
        "out_trade_no": payment.out_trade_no,
        "total_amount": f"{payment.amount:.2f}",
        "notify_time": now.strftime("%Y-%m-%d %H:%M:%S"),
        "gmt_payment": now.strftime("%Y-%m-%d %H:%M:%S"),
        "notify_id": f"n-{payment.out_trade_no}",
        **changes,
    }
    params["sign"] = stub_kit.rsa_sign(stub.alipay_key, documented_string(params))
    return params


def post(client, params):
    return client.post(reverse("payments:notify", args=["alipay"]), params)


def test_page_pay_and_wap_pay_send_the_shopper_to_a_signed_gateway_url(alipay, order):
    started = start(order)
    query = dict(parse_qsl(urlsplit(started.redirect_url).query))
    assert started.redirect_url.startswith(alipay.url + "/gateway.do?")
    assert query["method"] == "alipay.trade.page.pay"
    biz = check_signed(alipay, type("S", (), {"form": query})())
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert (biz["out_trade_no"], biz["total_amount"]) == (started.payment.out_trade_no, "55.00")
    assert query["notify_url"] == "http://testserver/payments/notify/alipay/"
    phone = start(order, HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148")
    query = dict(parse_qsl(urlsplit(phone.redirect_url).query))
    assert query["method"] == "alipay.trade.wap.pay"
    assert json.loads(query["biz_content"])["product_code"] == "QUICK_WAP_WAY"


def test_a_documented_notice_marks_the_order_paid_through_the_real_url(alipay, order, client):
    payment = start(order).payment
    answer = post(client, notice(alipay, payment))
    assert answer.content == b"success"
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert payment.provider_trade_no == DOC_NOTICE["trade_no"]
    record = PaymentNotification.objects.get()
    assert (record.outcome, record.notice_id) == (Outcome.ACCEPTED, f"n-{payment.out_trade_no}")


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        ({"total_amount": "0.01"}, Outcome.BAD_SIGNATURE),  # changed after signing
        ({"trade_status": "TRADE_SUCCESS", "sign": "AAAA"}, Outcome.BAD_SIGNATURE),
    ],
)
def test_a_tampered_notice_is_refused_logged_and_changes_nothing(
    alipay, order, client, change, outcome, caplog
):
    payment = start(order).payment
    params = {**notice(alipay, payment), **change}
    assert post(client, params).content == b"fail"
    assert PaymentNotification.objects.get().outcome == outcome
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    assert "bad signature" in caplog.text


def test_wrong_amount_wrong_merchant_and_replayed_notices_are_refused(alipay, order, client):
    payment = start(order).payment
    old = (timezone.localtime() - datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    cases = [
        (notice(alipay, payment, total_amount="0.01", notify_id="a"), Outcome.WRONG_AMOUNT),
        (notice(alipay, payment, app_id="2021000000000000", notify_id="b"), Outcome.WRONG_MERCHANT),
        (
            notice(alipay, payment, seller_id="2088000000000000", notify_id="c"),
            Outcome.WRONG_MERCHANT,
        ),
        (notice(alipay, payment, notify_time=old, notify_id="d"), Outcome.REPLAYED),
    ]
    for params, outcome in cases:
        assert post(client, params).content == b"fail"
        assert PaymentNotification.objects.latest("pk").outcome == outcome
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


def test_the_same_notice_again_changes_nothing(alipay, order, client):
    payment = start(order).payment
    params = notice(alipay, payment)
    assert post(client, params).content == b"success"
    paid_at = Payment.objects.get(pk=payment.pk).paid_at
    assert post(client, params).content == b"success"  # Alipay stops resending
    second = PaymentNotification.objects.latest("pk")
    assert (second.outcome, second.message) == (Outcome.DUPLICATE, "this notice was handled before")
    assert Payment.objects.get(pk=payment.pk).paid_at == paid_at


def test_a_notice_after_cancellation_is_refunded_through_the_gateway(alipay, order, client):
    payment = start(order).payment

    def gateway(seen):
        method = seen.form["method"]
        biz = check_signed(alipay, seen)
        if method == "alipay.trade.close":
            return (
                200,
                {},
                gateway_answer(
                    alipay,
                    method,
                    {
                        "code": "40004",
                        "msg": "Business Failed",
                        "sub_code": "ACQ.TRADE_NOT_EXIST",
                        "sub_msg": "交易不存在",
                    },
                ),
            )
        assert method == "alipay.trade.refund"
        assert biz["out_trade_no"] == payment.out_trade_no and biz["refund_amount"] == "55.00"
        return (
            200,
            {},
            gateway_answer(
                alipay,
                method,
                {
                    "code": "10000",
                    "msg": "Success",
                    "trade_no": "2016071921001003030200089909",
                    "out_trade_no": payment.out_trade_no,
                    "refund_fee": "55.00",
                    "fund_change": "Y",
                },
            ),
        )

    alipay.answer = gateway
    ordering.cancel_order(order=order, actor=order.user, reason="changed my mind")
    answer = post(client, notice(alipay, payment))
    assert answer.content == b"success"
    assert PaymentNotification.objects.latest("pk").outcome == Outcome.LATE
    refund = Refund.objects.get(payment=payment)
    assert refund.status == Refund.Status.PENDING  # until the task submits it
    refund = payments.submit_refund(refund=refund)  # what the worker's task does
    assert (refund.status, refund.amount) == (Refund.Status.SUCCEEDED, Decimal("55.00"))
    refund_call = alipay.requests[-1]
    assert json.loads(refund_call.form["biz_content"])["out_request_no"] == refund.refund_no


def test_query_refund_query_and_close_speak_the_documented_methods(alipay, order):
    payment = start(order).payment
    answers = {
        "alipay.trade.query": {
            "code": "10000",
            "msg": "Success",
            "trade_no": "2013112011001004330000121536",
            "out_trade_no": payment.out_trade_no,
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "55.00",
            "send_pay_date": "2024-05-01 10:00:00",
        },
        "alipay.trade.fastpay.refund.query": {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": payment.out_trade_no,
            "out_request_no": "R1",
            "refund_amount": "5.00",
            "refund_status": "REFUND_SUCCESS",
        },
        "alipay.trade.close": {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_STATUS_ERROR",
            "sub_msg": "交易状态不合法",
        },
    }

    def gateway(seen):
        check_signed(alipay, seen)
        method = seen.form["method"]
        return 200, {}, gateway_answer(alipay, method, answers[method])

    alipay.answer = gateway
    adapter = get_provider("alipay")
    found = adapter.query_trade(out_trade_no=payment.out_trade_no)
    assert (found.status, found.amount) == ("succeeded", Decimal("55.00"))
    receipt = adapter.query_refund(out_trade_no=payment.out_trade_no, refund_no="R1")
    assert (receipt.amount, receipt.settled) == (Decimal("5.00"), True)
    # Closing a paid trade is refused by Alipay; the adapter says "it took money".
    assert adapter.close_trade(out_trade_no=payment.out_trade_no) is False
    assert [json.loads(r.form["biz_content"]) for r in alipay.requests][1] == {
        "out_trade_no": payment.out_trade_no,
        "out_request_no": "R1",
    }


def test_an_answer_with_a_forged_signature_is_not_believed(alipay, order):
    payment = start(order).payment

    def forged(seen):
        body = gateway_answer(
            alipay,
            "alipay.trade.query",
            {
                "code": "10000",
                "out_trade_no": payment.out_trade_no,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": "55.00",
            },
        )
        return 200, {}, body.replace(b"55.00", b"0.01")

    alipay.answer = forged
    payments.confirm_by_query(payment=payment)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CREATED


def bill_zip(rows: list[list[str]]) -> bytes:
    header = (
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
        "终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,"
        "支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,"
        "卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
    )
    lines = [
        "#支付宝业务明细查询",
        "#账号：[20881234567890120156]",
        "#起始日期：[2024年05月01日 00:00:00]",
        header,
    ]
    for trade_no, out_trade_no, kind, money, refund_no in rows:
        cells = [trade_no, out_trade_no, kind, "mall", "", "", "", "", "", "", "", money, money]
        cells += [""] * 8 + [refund_no, "0.00", "", ""]
        lines.append(",".join(cells))
    lines += [
        "#-----------------------------------------业务明细列表结束",
        "#导出时间：[2024年05月02日 09:00:00]",
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(
            "20881234567890120156_20240501_业务明细.csv", "\n".join(lines).encode("gbk")
        )
        bundle.writestr("20881234567890120156_20240501_业务明细(汇总).csv", "#汇总".encode("gbk"))
    return buffer.getvalue()


def test_the_daily_bill_finds_missing_extra_and_different_payments(alipay, db):
    day = datetime.date(2024, 5, 1)
    paid_at = timezone.make_aware(datetime.datetime(2024, 5, 1, 12, 0))
    orders = [place(items=[(listed_sku(price="45.00"), 1)]) for _ in range(3)]
    made = [
        Payment.objects.create(
            order=o,
            provider="alipay",
            out_trade_no=f"P{i}",
            amount=Decimal("55.00"),
            status=Payment.Status.SUCCEEDED,
            paid_at=paid_at,
        )
        for i, o in enumerate(orders)
    ]
    archive = bill_zip(
        [
            ("T0", "P0", "交易", "55.00", ""),  # matches
            ("T1", "P1", "交易", "50.00", ""),  # injected: a different amount
            ("T9", "P9", "交易", "12.00", ""),  # injected: the shop has no such payment
        ]
    )  # and P2 is missing from the bill

    def gateway(seen):
        if seen.method == "GET":
            return 200, {"Content-Type": "application/zip"}, archive
        biz = check_signed(alipay, seen)
        assert biz == {"bill_type": "trade", "bill_date": "2024-05-01"}
        return (
            200,
            {},
            gateway_answer(
                alipay,
                seen.form["method"],
                {
                    "code": "10000",
                    "msg": "Success",
                    "bill_download_url": alipay.url + "/bill.zip",
                },
            ),
        )

    alipay.answer = gateway
    run = payments.reconcile_bill(provider="alipay", bill_date=day)
    found = {(d.kind, d.out_trade_no, d.shop_amount, d.bill_amount) for d in run.lines.all()}
    assert found == {
        ("amount", "P1", Decimal("55.00"), Decimal("50.00")),
        ("missing_in_shop", "P9", None, Decimal("12.00")),
        ("missing_in_bill", "P2", Decimal("55.00"), None),
    }
    assert (run.bill_lines, run.shop_lines, run.differences) == (3, 3, 3)
    assert (
        payments.reconcile_bill(provider="alipay", bill_date=day).lines.count() == 3
    )  # idempotent
    assert made[0].out_trade_no == "P0"


def test_missing_keys_are_named_and_the_provider_refuses_to_start(alipay, settings, order):
    from orders.providers.adapters.alipay import AlipayProvider

    assert AlipayProvider.key_problems() == []
    settings.MALL_ALIPAY_APP_ID = ""
    settings.MALL_ALIPAY_PUBLIC_KEY_FILE = "/nonexistent/alipay.pub"
    problems = AlipayProvider.key_problems()
    assert problems[0] == "MALL_ALIPAY_APP_ID is not set"
    assert "cannot read /nonexistent/alipay.pub" in problems[1]
    with pytest.raises(PaymentRefused):
        start(order)
    assert not Payment.objects.exists()
