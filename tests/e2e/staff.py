"""Signing staff in through the pages as a person does: the password, then the code of
their authenticator app (made for them here, as if set up earlier)."""

import re

from django.db.models import Q
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from customers.models import User
from tests.customers.factories import PASSWORD


def authenticator_of(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:06d}"


def staff_sign_in(page, live_server, login: str, target: str, *, exact: bool = False):
    """Open ``target``, sign in as ``login`` (email or mobile) with the password, pass
    the second factor if they are staff (shoppers are never asked), and wait until
    ``target`` is shown."""
    user = User.objects.get(Q(email=login) | Q(phone=login))
    page.goto(live_server.url + target)
    page.wait_for_url(re.compile(r"/login/"))
    page.fill("#id_username", login)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit], form.stacked button[type=submit]").first.click()
    if user.is_staff:
        device = authenticator_of(user)
        page.wait_for_url(re.compile(r"/accounts/two-factor/"))
        page.fill("#id_token", current_code(device))
        page.click("#verify")
    if exact:
        page.wait_for_url(live_server.url + target)
    else:
        page.wait_for_url(re.compile(re.escape(live_server.url + target.split("?")[0])))
