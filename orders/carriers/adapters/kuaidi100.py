"""快递100 (Kuaidi100), the tracking service many Chinese shops use: it follows waybills of
any carrier (the company code in ``MALL_KUAIDI100_COMPANY``, e.g. ``yuantong``), pushes
each change to the shop, and answers real-time queries (the polling fallback).

Its published rules, as implemented here:

- subscribe: POST ``/poll`` with ``schema=json`` and ``param`` = JSON {company, number,
  from, to, key, parameters: {callbackurl, salt, resultv2, phone}};
- push: a form POST to the callback with ``param`` (JSON: status, message, lastResult
  {state, ischeck, com, nu, data: [{context, time, ftime, status, areaName}]}) and
  ``sign`` = upper-case MD5 of ``param`` + salt; answered {"result": true, "returnCode":
  "200", "message": "成功"};
- query: POST ``/poll/query.do`` with ``customer``, ``param`` = JSON {com, num, phone,
  resultv2, show, order} and ``sign`` = upper-case MD5 of param + key + customer.

States (lastResult.state, and each item's ``status`` text with ``resultv2``): 0 在途,
1 揽收, 2 疑难, 3 签收, 4 退签, 5 派件, 6 退回, 7 转投. 疑难 is a delay the carrier
reports; 退签 and 退回 mean the parcel goes back; a lost or damaged parcel is told in the
item's text (丢失, 遗失, 破损).
"""

import datetime
import hashlib
import hmac
import json
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall import outbound
from orders.carriers.base import (
    COLLECTED,
    DAMAGED,
    DELAYED,
    DELIVERED,
    IN_TRANSIT,
    LOST,
    OUT_FOR_DELIVERY,
    RETURNED,
    BadPush,
    Carrier,
    CarrierError,
    CarrierEvent,
    CarrierRefused,
    CarrierUnavailable,
    Waybill,
)

STATES = {
    "0": IN_TRANSIT,
    "1": COLLECTED,
    "2": DELAYED,
    "3": DELIVERED,
    "4": RETURNED,
    "5": OUT_FOR_DELIVERY,
    "6": RETURNED,
    "7": IN_TRANSIT,
}
STATE_NAMES = {
    "在途": IN_TRANSIT,
    "揽收": COLLECTED,
    "疑难": DELAYED,
    "签收": DELIVERED,
    "退签": RETURNED,
    "派件": OUT_FOR_DELIVERY,
    "退回": RETURNED,
    "转投": IN_TRANSIT,
}
WORDS = (("丢失", LOST), ("遗失", LOST), ("破损", DAMAGED))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 (快递100's published signature)


def events_of(result: dict) -> list[CarrierEvent]:
    """The events of one ``lastResult`` (or query answer), oldest first."""
    items = [item for item in result.get("data") or [] if isinstance(item, dict)]
    items.sort(key=lambda item: str(item.get("ftime") or item.get("time") or ""))
    newest_kind = STATES.get(str(result.get("state", "")))
    events = []
    for index, item in enumerate(items):
        text = str(item.get("context", ""))
        when = str(item.get("ftime") or item.get("time") or "")
        try:
            occurred = timezone.make_aware(datetime.datetime.strptime(when, TIME_FORMAT))
        except ValueError:
            continue
        kind = STATE_NAMES.get(str(item.get("status", "")))
        if kind is None:
            kind = newest_kind if index == len(items) - 1 and newest_kind else IN_TRANSIT
        for word, word_kind in WORDS:
            if word in text:
                kind = word_kind
        digest = hashlib.sha1(f"{when}|{text}".encode()).hexdigest()[:20]  # noqa: S324 (an id, not a secret)
        events.append(
            CarrierEvent(
                event_id=f"k100-{digest}",
                kind=kind,
                occurred_at=occurred,
                location=str(item.get("areaName") or "")[:100],
                description=text[:200],
            )
        )
    return events


class Kuaidi100Carrier(Carrier):
    name = "kuaidi100"
    label = _("Kuaidi100 tracking")
    max_batch = 20  # one real-time query per parcel
    needs_tracking_number = True

    @classmethod
    def key_problems(cls) -> list[str]:
        return [
            f"{name} is not set"
            for name in (
                "MALL_KUAIDI100_CUSTOMER",
                "MALL_KUAIDI100_KEY",
                "MALL_KUAIDI100_SALT",
                "MALL_KUAIDI100_COMPANY",
            )
            if not getattr(settings, name)
        ]

    def __init__(self):
        problems = self.key_problems()
        if problems:
            raise CarrierError("快递100 is not configured: " + "; ".join(problems))
        self.base = settings.MALL_KUAIDI100_API_BASE.rstrip("/")
        self.company = settings.MALL_KUAIDI100_COMPANY

    def _post(self, path: str, form: dict) -> dict:
        try:
            answer = outbound.request(
                "POST",
                self.base + path,
                body=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except outbound.Unreachable as error:
            raise CarrierUnavailable(str(error)) from error
        if answer.status >= 500:
            raise CarrierUnavailable(f"快递100 answered HTTP {answer.status}")
        try:
            return json.loads(answer.text())
        except ValueError as error:
            raise CarrierUnavailable("快递100 answered something else than JSON") from error

    def create_waybill(
        self, *, reference, origin, destination, weight_grams, handed_over_at, tracking_number=""
    ) -> Waybill:
        if not tracking_number:
            raise CarrierRefused("快递100 follows waybills: give the tracking number")
        param = {
            "company": self.company,
            "number": tracking_number,
            "from": f"{origin.province}{origin.city}",
            "to": f"{destination.province}{destination.city}{destination.district}",
            "key": settings.MALL_KUAIDI100_KEY,
            "parameters": {
                "callbackurl": settings.MALL_SITE_URL.rstrip("/")
                + reverse("logistics:push", args=[self.name]),
                "salt": settings.MALL_KUAIDI100_SALT,
                "resultv2": "1",
                "phone": destination.mobile[-4:],
            },
        }
        data = self._post(
            "/poll", {"schema": "json", "param": json.dumps(param, ensure_ascii=False)}
        )
        code = str(data.get("returnCode", ""))
        # 501: subscribed already (the same waybill handed over again): still followed.
        if not (data.get("result") is True or code in ("200", "501")):
            if code.startswith("5"):
                raise CarrierUnavailable(f"快递100: {code} {data.get('message', '')}")
            raise CarrierRefused(f"快递100: {code} {data.get('message', '')}")
        # 快递100 promises nothing; three days is what the shop tells the shopper.
        promised = timezone.localdate(handed_over_at) + datetime.timedelta(days=3)
        return Waybill(tracking_number=tracking_number, estimated_delivery=promised)

    def query(self, tracking_number: str) -> dict:
        param = json.dumps(
            {
                "com": self.company,
                "num": tracking_number,
                "resultv2": "1",
                "show": "0",
                "order": "asc",
            },
            ensure_ascii=False,
        )
        customer = settings.MALL_KUAIDI100_CUSTOMER
        return self._post(
            "/poll/query.do",
            {
                "customer": customer,
                "param": param,
                "sign": md5_upper(param + settings.MALL_KUAIDI100_KEY + customer),
            },
        )

    def track(self, *, parcels, as_of=None):
        answer = {}
        for parcel in parcels[: self.max_batch]:
            data = self.query(parcel.tracking_number)
            if str(data.get("status", "")) != "200":
                continue  # unknown to 快递100 (yet), or refused: left out of the answer
            answer[parcel.tracking_number] = events_of(data)
        return answer

    def check_connection(self) -> str:
        data = self.query("CONNECTIONTEST0")
        code = str(data.get("returnCode") or data.get("status") or "")
        if code in ("601", "602", "603", "700"):  # key or sign refused, no credit
            raise CarrierRefused(f"快递100: {code} {data.get('message', '')}")
        return f"ok: 快递100 answered {code} {data.get('message', '')}".strip()

    def file_claim(self, *, tracking_number, amount, reason, reference):
        raise CarrierRefused("快递100 only tracks: claim from the carrier that carried it")

    def parse_push(self, *, body, headers, form):
        param, sign = str(form.get("param", "")), str(form.get("sign", ""))
        expected = md5_upper(param + settings.MALL_KUAIDI100_SALT)
        if not param or not hmac.compare_digest(sign.upper(), expected):
            raise BadPush("快递100's sign does not verify")
        try:
            data = json.loads(param)
        except ValueError as error:
            raise BadPush("the push's param is not JSON") from error
        result = data.get("lastResult") or {}
        number = str(result.get("nu", ""))
        if not number:
            return {}
        return {number: events_of(result)}

    def push_answer(self, *, accepted):
        body = {"result": accepted, "returnCode": "200" if accepted else "500"}
        body["message"] = "成功" if accepted else "失败"
        return 200, json.dumps(body, ensure_ascii=False), "application/json"
