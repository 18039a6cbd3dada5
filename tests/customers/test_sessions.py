"""Sessions live in Redis (the ``sessions`` cache), not in PostgreSQL; logout, a password
change and a closed account still end them."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.customers.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("customers:account")
LOGIN = reverse("customers:login")
LOGOUT = reverse("customers:logout")


def in_redis(client) -> bool:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return caches["sessions"].get(SessionStore(session_key=key).cache_key) is not None


def signed_in_client(user) -> Client:
    client = Client()
    assert client.post(LOGIN, {"username": user.phone, "password": PASSWORD}).status_code == 302
    return client


def test_signing_in_writes_the_session_to_redis_and_nothing_to_postgresql():
    client = signed_in_client(UserFactory())
    assert in_redis(client)
    assert Session.objects.count() == 0
    assert client.get(ACCOUNT).status_code == 200


def test_logout_deletes_the_session_from_redis():
    client = signed_in_client(UserFactory())
    assert client.post(LOGOUT).status_code == 302
    assert client.get(ACCOUNT).status_code == 302


def test_logout_leaves_nothing_to_replay():
    client = signed_in_client(UserFactory())
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(LOGOUT)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert caches["sessions"].get(SessionStore(session_key=stolen).cache_key) is None
    assert replay.get(ACCOUNT).status_code == 302


def test_a_password_change_ends_every_other_session():
    user = UserFactory()
    laptop, phone = signed_in_client(user), signed_in_client(user)
    user.set_password("another-horse-battery-7")
    user.save()
    assert laptop.get(ACCOUNT).status_code == 302
    assert phone.get(ACCOUNT).status_code == 302
    assert not in_redis(laptop)  # Django flushed the session whose hash no longer matches


def test_a_closed_account_is_signed_out():
    user = UserFactory()
    client = signed_in_client(user)
    user.is_active = False
    user.save()
    assert client.get(ACCOUNT).status_code == 302
