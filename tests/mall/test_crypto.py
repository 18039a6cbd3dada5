"""Mobiles, streets and tax ids are encrypted in the database, read back in clear, found
by their keyed hash; keys rotate without losing a value."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from customers.models import Address
from mall import crypto
from mall.crypto import blind_index
from orders.models import Order
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_personal_data_is_encrypted_at_rest_and_read_in_clear():
    address = AddressFactory(mobile="13812345678", street="文三路 100 号")
    order = place(
        user=address.user,
        address=address,
        items=[(listed_sku(), 1)],
        tax_number="91330100MA2B3C4D5E",
    )
    for table, column, pk in (
        ("customers_address", "mobile", address.pk),
        ("customers_address", "street", address.pk),
        ("orders_order", "mobile", order.pk),
        ("orders_order", "street", order.pk),
        ("orders_order", "tax_number", order.pk),
    ):
        stored = raw(table, column, pk)
        assert stored.startswith("enc1:") and "13812345678" not in stored and "文三路" not in stored
    again = Order.objects.get(pk=order.pk)
    assert (again.mobile, again.street, again.tax_number) == (
        "13812345678",
        "文三路 100 号",
        "91330100MA2B3C4D5E",
    )
    assert Address.objects.get(pk=address.pk).street == "文三路 100 号"
    assert again.mobile_index == blind_index("13812345678")


def test_operators_still_find_an_order_by_its_delivery_mobile(client):
    address = AddressFactory(mobile="13812340000")
    order = place(user=address.user, address=address, items=[(listed_sku(), 1)])
    place(items=[(listed_sku(name="别的"), 1)])
    client.force_login(UserFactory(roles=["operator"]))
    found = client.get(reverse("admin:orders_order_changelist"), {"q": "138 1234 0000"})
    assert [o.pk for o in found.context["cl"].result_list] == [order.pk]


def test_keys_rotate_without_losing_a_value(settings):
    old = settings.MALL_FIELD_KEYS[0]
    address = AddressFactory(mobile="13812345000", street="旧钥匙路 1 号")
    new = Fernet.generate_key().decode()
    settings.MALL_FIELD_KEYS = [new, old]
    call_command("rotate_field_keys")
    settings.MALL_FIELD_KEYS = [new]  # the old key is gone
    assert Address.objects.get(pk=address.pk).street == "旧钥匙路 1 号"
    settings.MALL_FIELD_KEYS = [old]
    with pytest.raises(crypto.InvalidToken):
        Address.objects.get(pk=address.pk).street  # noqa: B018
