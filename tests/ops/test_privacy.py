"""A shopper downloads everything the shop keeps about them, and closes their account:
personal data erased or anonymised, orders kept for accounting without it."""

import json

import pytest

from customers.models import Address, User
from ops.models import AuditEvent
from orders.models import Order
from tests.customers.factories import PASSWORD, AddressFactory, UserFactory
from tests.customers.ticket_helpers import open_ticket
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper_with_an_order():
    shopper = UserFactory(phone="13912345001", email="wang.fang@example.com")
    address = AddressFactory(user=shopper, mobile="13712345002", street="文一路 88 号")
    order = place(user=shopper, address=address, items=[(listed_sku(stock=5), 1)])
    open_ticket(shopper, subject="发票问题")
    return shopper, order


def test_a_shopper_downloads_their_data(client, shopper_with_an_order):
    shopper, order = shopper_with_an_order
    client.force_login(shopper)
    assert "/accounts/my-data/" in client.get("/accounts/").content.decode()
    response = client.get("/accounts/my-data/")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["profile"]["phone"] == "13912345001"
    assert data["addresses"][0]["street"] == "文一路 88 号"
    assert data["orders"][0]["number"] == order.number
    assert data["service_requests"][0]["subject"] == "发票问题"
    assert AuditEvent.objects.filter(action="privacy.export", actor=shopper).exists()
    client.logout()
    assert client.get("/accounts/my-data/").status_code == 302  # sign in first


def test_closing_waits_for_open_orders_and_needs_the_password(client, shopper_with_an_order):
    shopper, _order = shopper_with_an_order
    client.force_login(shopper)
    wrong = client.post("/accounts/close/", {"password": "nope"})
    assert "not right" in wrong.content.decode()
    open_order = client.post("/accounts/close/", {"password": PASSWORD})
    assert "completed or cancelled" in open_order.content.decode()
    shopper.refresh_from_db()
    assert shopper.is_active and shopper.phone == "13912345001"


def test_closing_erases_personal_data_and_keeps_the_orders(client, shopper_with_an_order):
    shopper, order = shopper_with_an_order
    Order.objects.filter(pk=order.pk).update(status=Order.Status.COMPLETED)
    client.force_login(shopper)
    response = client.post("/accounts/close/", {"password": PASSWORD})
    assert response.status_code == 302
    closed = User.objects.get(pk=shopper.pk)
    assert (closed.phone, closed.display_name, closed.is_active) == (None, "", False)
    assert closed.email.endswith("@closed.invalid")
    assert not closed.has_usable_password()
    assert not Address.objects.filter(user=closed).exists()
    kept = Order.objects.get(pk=order.pk)
    assert (kept.total, kept.number, kept.province) == (order.total, order.number, order.province)
    assert (kept.mobile, kept.street, kept.recipient) == ("", "", "—")
    assert "_auth_user_id" not in client.session
    login = client.post("/accounts/login/", {"username": "13912345001", "password": PASSWORD})
    assert login.status_code == 200  # no such account any more
    assert AuditEvent.objects.filter(action="privacy.account_closed").exists()
