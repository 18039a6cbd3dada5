"""快递100 and SF Express through their adapters: subscriptions, waybills and queries
checked at a stub server on 127.0.0.1 for the documented fields and signatures, and
pushes signed as each documents them posted to the shop's real push URL."""

import base64
import hashlib
import json
import time
from urllib.parse import quote_plus

import pytest
from django.urls import reverse

from orders.carriers.registry import get_carrier
from orders.models import LogisticsCase, Order, Shipment
from orders.services import fulfilment, logistics
from tests.orders import provider_stub as stub_kit
from tests.orders.fulfilment_helpers import pack, paid_order, two_warehouse_goods

SALT, KEY, CUSTOMER = "saltsaltsalt", "kd100key", "CUSTOMER0001"
CHECKWORD = "ehpA2SxjBT0M0QY74VktZbPSx41xO9gt"  # the checkword of SF's published demo


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 (快递100's rule)


def sf_digest(msg_data: str, timestamp: str) -> str:
    # SF's digital signature: Base64(MD5(URL-encode(msgData + timestamp + checkword)))
    raw = quote_plus(msg_data + timestamp + CHECKWORD).encode()
    return base64.b64encode(hashlib.md5(raw).digest()).decode()  # noqa: S324


@pytest.fixture
def stub(settings):
    server, stop = stub_kit.serve(lambda seen: (500, {}, b""))
    settings.MALL_CARRIERS = ["sandbox", "kuaidi100", "sfexpress"]
    settings.MALL_SITE_URL = "http://testserver"
    settings.MALL_KUAIDI100_CUSTOMER, settings.MALL_KUAIDI100_KEY = CUSTOMER, KEY
    settings.MALL_KUAIDI100_SALT, settings.MALL_KUAIDI100_COMPANY = SALT, "yuantong"
    settings.MALL_KUAIDI100_API_BASE = server.url
    settings.MALL_SFEXPRESS_PARTNER_ID, settings.MALL_SFEXPRESS_CHECKWORD = "Y7hHmkqf", CHECKWORD
    settings.MALL_SFEXPRESS_MONTHLY_CARD = "7551234567"
    settings.MALL_SFEXPRESS_API_URL = server.url + "/std/service"
    yield server
    stop()


@pytest.fixture
def packed(db, stub):
    tea, _cup = two_warehouse_goods()
    order = paid_order([(tea, 1)])
    fulfilment.allocate_order(order=order)
    return pack(order.shipments.get())


def json_answer(data) -> tuple:
    return 200, {"Content-Type": "application/json"}, json.dumps(data, ensure_ascii=False).encode()


# --- 快递100 ----------------------------------------------------------------------------------

# 快递100's documented push (lastResult, newest first as pushed), for waybill YT9693083639795.
PUSH = {
    "status": "shutdown",
    "billstatus": "check",
    "message": "",
    "autoCheck": "0",
    "comOld": "",
    "comNew": "",
    "lastResult": {
        "message": "ok",
        "state": "3",
        "status": "200",
        "condition": "F00",
        "ischeck": "1",
        "com": "yuantong",
        "nu": "YT9693083639795",
        "data": [
            {
                "context": "您的快件已签收，签收人：本人",
                "time": "2024-05-03 10:20:00",
                "ftime": "2024-05-03 10:20:00",
                "status": "签收",
                "areaName": "北京市朝阳区",
            },
            {
                "context": "快件正在派送中",
                "time": "2024-05-03 08:00:00",
                "ftime": "2024-05-03 08:00:00",
                "status": "派件",
                "areaName": "北京市朝阳区",
            },
            {
                "context": "杭州转运中心已发出",
                "time": "2024-05-01 20:00:00",
                "ftime": "2024-05-01 20:00:00",
                "status": "在途",
                "areaName": "浙江省杭州市",
            },
            {
                "context": "杭州市余杭区公司已揽收",
                "time": "2024-05-01 18:00:00",
                "ftime": "2024-05-01 18:00:00",
                "status": "揽收",
                "areaName": "浙江省杭州市",
            },
        ],
    },
}


def ship_with_kuaidi100(stub, packed):
    def api(seen):
        assert seen.path == "/poll" and seen.form["schema"] == "json"
        param = json.loads(seen.form["param"])
        assert (param["company"], param["number"], param["key"]) == (
            "yuantong",
            "YT9693083639795",
            KEY,
        )
        assert param["parameters"]["callbackurl"] == "http://testserver/logistics/push/kuaidi100/"
        assert param["parameters"]["salt"] == SALT and param["parameters"]["resultv2"] == "1"
        return json_answer({"result": True, "returnCode": "200", "message": "提交成功"})

    stub.answer = api
    return fulfilment.ship(
        shipment=packed, carrier="kuaidi100", actor=None, tracking_number="YT9693083639795"
    )


def push(client, carrier, form):
    return client.post(reverse("logistics:push", args=[carrier]), form)


def test_kuaidi100_needs_the_waybill_number(packed):
    with pytest.raises(Exception, match="tracking number"):
        fulfilment.ship(shipment=packed, carrier="kuaidi100", actor=None)


def test_a_kuaidi100_push_signed_with_the_salt_delivers_the_parcel(stub, packed, client):
    shipment = ship_with_kuaidi100(stub, packed)
    assert shipment.tracking_number == "YT9693083639795" and len(stub.requests) == 1
    param = json.dumps(PUSH, ensure_ascii=False)
    forged = push(client, "kuaidi100", {"param": param, "sign": md5_upper(param + "guess")})
    assert forged.json()["result"] is False
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.SHIPPED
    answer = push(client, "kuaidi100", {"param": param, "sign": md5_upper(param + SALT)})
    assert answer.json() == {"result": True, "returnCode": "200", "message": "成功"}
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert [e.kind for e in shipment.events.all()] == [
        "collected",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert Order.objects.get(pk=shipment.order_id).status == Order.Status.DELIVERED
    # Pushed again: nothing new.
    assert push(client, "kuaidi100", {"param": param, "sign": md5_upper(param + SALT)}).json()[
        "result"
    ]
    assert shipment.events.count() == 4


def test_kuaidi100_polling_falls_back_to_the_signed_query_and_maps_returns(stub, packed):
    shipment = ship_with_kuaidi100(stub, packed)
    returned = {
        **PUSH["lastResult"],
        "state": "6",
        "ischeck": "0",
        "data": [
            {"context": "收件人拒收，快件退回", "ftime": "2024-05-03 10:20:00", "status": "退回"},
            {"context": "杭州市余杭区公司已揽收", "ftime": "2024-05-01 18:00:00", "status": "揽收"},
        ],
    }

    def api(seen):
        assert seen.path == "/poll/query.do" and seen.form["customer"] == CUSTOMER
        assert seen.form["sign"] == md5_upper(seen.form["param"] + KEY + CUSTOMER)
        assert json.loads(seen.form["param"])["num"] == "YT9693083639795"
        return json_answer(returned)

    stub.answer = api
    report = logistics.poll_shipments(now=shipment.next_poll_at)
    assert (report.events, report.returned) == (2, 1)
    case = LogisticsCase.objects.get(shipment=shipment)
    assert (case.kind, case.detail) == ("returned", "收件人拒收，快件退回")


# --- SF Express -------------------------------------------------------------------------------


def ship_with_sf(stub, packed):
    def api(seen):
        form = seen.form
        assert seen.path == "/std/service" and form["partnerID"] == "Y7hHmkqf"
        assert form["serviceCode"] == "EXP_RECE_CREATE_ORDER"
        assert form["msgDigest"] == sf_digest(form["msgData"], form["timestamp"])
        msg = json.loads(form["msgData"])
        assert msg["orderId"] == packed.number and msg["monthlyCard"] == "7551234567"
        sender, recipient = msg["contactInfoList"]
        assert (sender["contactType"], sender["city"]) == (1, "杭州市")
        assert (recipient["contactType"], recipient["city"], recipient["county"]) == (
            2,
            "北京市",
            "朝阳区",
        )
        result = {
            "success": True,
            "errorCode": "S0000",
            "errorMsg": None,
            "msgData": {
                "orderId": packed.number,
                "waybillNoInfoList": [{"waybillType": 1, "waybillNo": "SF7444407228423"}],
            },
        }
        return json_answer(
            {
                "apiResultCode": "A1000",
                "apiErrorMsg": "",
                "apiResponseID": "x",
                "apiResultData": json.dumps(result, ensure_ascii=False),
            }
        )

    stub.answer = api
    return fulfilment.ship(shipment=packed, carrier="sfexpress", actor=None)


def sf_push(routes, *, timestamp=None):
    msg_data = json.dumps({"Body": {"WaybillRoute": routes}}, ensure_ascii=False)
    timestamp = timestamp or str(int(time.time() * 1000))
    return {
        "partnerID": "Y7hHmkqf",
        "requestID": "r1",
        "serviceCode": "RoutePushService",
        "timestamp": timestamp,
        "msgData": msg_data,
        "msgDigest": sf_digest(msg_data, timestamp),
    }


ROUTES = [
    {
        "id": "1",
        "mailno": "SF7444407228423",
        "orderid": "x",
        "acceptTime": "2024-05-01 18:00:00",
        "acceptAddress": "杭州市",
        "remark": "顺丰速运 已收取快件",
        "opCode": "50",
    },
    {
        "id": "2",
        "mailno": "SF7444407228423",
        "orderid": "x",
        "acceptTime": "2024-05-02 09:00:00",
        "acceptAddress": "北京市",
        "remark": "快件交给张三，正在派送途中",
        "opCode": "44",
    },
    {
        "id": "3",
        "mailno": "SF7444407228423",
        "orderid": "x",
        "acceptTime": "2024-05-02 11:00:00",
        "acceptAddress": "北京市",
        "remark": "已签收,感谢使用顺丰,期待再次为您服务",
        "opCode": "80",
    },
]


def test_sf_books_the_waybill_and_its_signed_route_push_delivers(stub, packed, client):
    shipment = ship_with_sf(stub, packed)
    assert shipment.tracking_number == "SF7444407228423"
    tampered = {**sf_push(ROUTES), "msgDigest": "AAAA"}
    assert push(client, "sfexpress", tampered).json()["return_code"] == "1000"
    stale = sf_push(ROUTES, timestamp=str(int((time.time() - 7200) * 1000)))
    assert push(client, "sfexpress", stale).json()["return_code"] == "1000"
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.SHIPPED
    assert push(client, "sfexpress", sf_push(ROUTES)).json() == {
        "return_code": "0000",
        "return_msg": "成功",
    }
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert [e.kind for e in shipment.events.all()] == ["collected", "out_for_delivery", "delivered"]


def test_sf_route_query_is_the_polling_fallback_and_reads_exceptions(stub, packed):
    shipment = ship_with_sf(stub, packed)

    def api(seen):
        form = seen.form
        assert form["serviceCode"] == "EXP_RECE_SEARCH_ROUTES"
        assert form["msgDigest"] == sf_digest(form["msgData"], form["timestamp"])
        assert json.loads(form["msgData"])["trackingNumber"] == ["SF7444407228423"]
        routes = [
            ROUTES[0],
            {
                "acceptTime": "2024-05-02 09:00:00",
                "acceptAddress": "北京市",
                "remark": "快件丢失，正在处理",
                "opCode": "99",
            },
        ]
        result = {
            "success": True,
            "errorCode": "S0000",
            "msgData": {"routeResps": [{"mailNo": "SF7444407228423", "routes": routes}]},
        }
        return json_answer({"apiResultCode": "A1000", "apiResultData": json.dumps(result)})

    stub.answer = api
    report = logistics.poll_shipments(now=shipment.next_poll_at)
    assert report.lost == 1
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.LOST


def test_connection_checks_sign_a_harmless_query(stub, packed):
    stub.answer = lambda seen: json_answer(
        {"result": False, "returnCode": "400", "message": "找不到对应公司"}
        if seen.path == "/poll/query.do"
        else {"apiResultCode": "A1001", "apiErrorMsg": "必传参数不可为空"}
    )
    assert get_carrier("kuaidi100").check_connection().startswith("ok")
    with pytest.raises(Exception, match="A1001"):
        get_carrier("sfexpress").check_connection()
    assert stub.requests[0].form["sign"] == md5_upper(
        stub.requests[0].form["param"] + KEY + CUSTOMER
    )
