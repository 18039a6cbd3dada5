"""The operators' page of payment providers and carriers: what is switched on, what its
keys lack, and "test connection" signing a harmless query against a stub on 127.0.0.1."""

import json

import pytest
from django.urls import reverse

from tests.customers.factories import UserFactory
from tests.orders import provider_stub as stub_kit

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


def test_the_page_lists_providers_and_carriers_and_tests_a_connection(client, operator, settings):
    stub, stop = stub_kit.serve()
    try:
        settings.MALL_CARRIERS = ["sandbox", "kuaidi100", "sfexpress"]
        settings.MALL_KUAIDI100_CUSTOMER, settings.MALL_KUAIDI100_KEY = "C1", "K1"
        settings.MALL_KUAIDI100_SALT, settings.MALL_KUAIDI100_COMPANY = "S1", "yuantong"
        settings.MALL_KUAIDI100_API_BASE = stub.url
        stub.answer = lambda seen: (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"result": False, "returnCode": "400", "message": "查询无结果"}).encode(),
        )
        client.force_login(operator)
        url = reverse("admin:orders_connections")
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "connection-alipay" in text and "connection-sfexpress" in text
        assert "MALL_SFEXPRESS_PARTNER_ID is not set" in text  # on, without its keys
        answer = client.post(url, {"kind": "carrier", "name": "kuaidi100"}, follow=True)
        said = [str(m) for m in answer.context["messages"]]
        assert said == ["kuaidi100: ok: 快递100 answered 400 查询无结果"]
        assert stub.requests[-1].path == "/poll/query.do"
        answer = client.post(url, {"kind": "provider", "name": "alipay"}, follow=True)
        assert [str(m) for m in answer.context["messages"]] == ["alipay: It is not switched on."]
    finally:
        stop()


def test_only_staff_with_the_permission_see_it(client):
    client.force_login(UserFactory(roles=["warehouse"]))
    assert client.get(reverse("admin:orders_connections")).status_code == 403
