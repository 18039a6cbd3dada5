"""Staff sign in with a second factor (django-otp: an authenticator app's code, or a
recovery code): without it no staff role reaches the admin or the ticket view; idle staff
sessions end; role changes ask for the code again."""

import datetime
import re
import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from customers.services.two_factor import VERIFIED_AT
from mall import roles
from ops.middleware import StaffSessionMiddleware
from tests.customers.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("customers:login")
SECOND = reverse("customers:two_factor")


def code_of(device: TOTPDevice) -> str:
    """The code the authenticator app shows now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:06d}"


def sign_in(client, user):
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.mark.parametrize(
    ("role", "page"),
    [
        (roles.OPERATOR, "/admin/"),
        (roles.WAREHOUSE, "/admin/"),
        (roles.ANALYST, "/admin/"),
        (roles.SECURITY, "/admin/"),
        (roles.SUPPORT_AGENT, "/support/"),
        (roles.SUPPORT_SUPERVISOR, "/support/"),
    ],
)
def test_no_staff_role_reaches_its_pages_with_the_password_alone(client, role, page):
    staff = UserFactory(roles=[role])
    sign_in(client, staff)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(SECOND)


def test_first_sign_in_sets_up_the_authenticator_and_shows_recovery_codes(client):
    staff = UserFactory(roles=[roles.OPERATOR])
    sign_in(client, staff)
    setup = client.get(f"{SECOND}?next=/admin/")
    assert "<svg" in setup.content.decode() and "secret" in setup.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.get("/admin/").status_code == 302
    done = client.post(SECOND, {"token": code_of(device), "next": "/admin/"})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_a_recovery_code_works_once(client):
    staff = UserFactory(roles=[roles.SUPPORT_AGENT])
    sign_in(client, staff)
    client.get(SECOND)
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    wrong = client.post(SECOND, {"token": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors  # not confirmed
    device.refresh_from_db()
    device.throttle_reset()
    codes = client.post(SECOND, {"token": code_of(device)}).context["codes"]
    client.post(reverse("customers:logout"))

    sign_in(client, staff)
    assert client.get("/support/")["Location"].startswith(SECOND)
    wrong = client.post(SECOND, {"token": "123456", "next": "/support/"})
    assert wrong.status_code == 200 and "not right" in wrong.content.decode()
    assert client.get("/support/").status_code == 302
    for device in devices_for_user(staff):
        device.throttle_reset()  # django-otp slows guessing: a second later it would pass
    used = client.post(SECOND, {"token": codes[0], "next": "/support/"})
    assert used.status_code == 302 and used["Location"] == "/support/"
    assert client.get("/support/").status_code == 200
    client.post(reverse("customers:logout"))

    sign_in(client, staff)
    again = client.post(SECOND, {"token": codes[0], "next": "/support/"})
    assert again.status_code == 200  # a recovery code signs in once


def test_shoppers_are_never_asked(client):
    shopper = UserFactory()
    sign_in(client, shopper)
    assert client.get(reverse("customers:account")).status_code == 200
    assert client.get(SECOND).status_code == 404


def test_an_idle_staff_session_ends(client, settings):
    settings.MALL_STAFF_IDLE_MINUTES = 30
    staff = UserFactory(roles=[roles.OPERATOR])
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    request = type("R", (), {"session": client.session})()
    cache.set(StaffSessionMiddleware.seen_key(request), time.time() - 31 * 60)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_changing_an_account_asks_for_the_code_again(client, settings):
    settings.MALL_REAUTH_MINUTES = 5
    root = UserFactory(is_staff=True, is_superuser=True)
    clerk = UserFactory()
    client.force_login(root)
    session = client.session
    session[VERIFIED_AT] = (timezone.now() - datetime.timedelta(minutes=6)).isoformat()
    session.save()
    change = reverse("admin:customers_user_change", args=[clerk.pk])
    response = client.post(change, {"is_staff": "on"})
    assert response.status_code == 302
    assert re.match(rf"{SECOND}\?next=", response["Location"])
    clerk.refresh_from_db()
    assert not clerk.is_staff
