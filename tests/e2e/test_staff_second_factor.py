"""In Chromium: a staff member who has only the password does not reach the back office;
with the authenticator's code they do."""

import re

import pytest

from mall import roles
from tests.customers.factories import PASSWORD, UserFactory
from tests.e2e.staff import authenticator_of, current_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_staff_login_without_the_second_factor_is_refused(page, live_server, artifacts_dir):
    operator = UserFactory(roles=[roles.OPERATOR], email="operator.zhao@mall.example")
    device = authenticator_of(operator)

    page.goto(live_server.url + "/admin/")
    page.wait_for_url(re.compile(r"/login/"))
    page.fill("#id_username", operator.email)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit], form.stacked button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))

    # The password alone: every back-office address leads back to the second step.
    for address in ("/admin/", "/admin/orders/order/", "/support/"):
        page.goto(live_server.url + address)
        page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    # A wrong code is refused on the page.
    page.fill("#id_token", "000000" if current_code(device) != "000000" else "111111")
    page.click("#verify")
    assert page.locator(".errorlist, .error").first.is_visible()
    page.screenshot(path=str(artifacts_dir / "second-factor-refused.png"), full_page=True)
    page.goto(live_server.url + "/admin/")
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))

    # The authenticator's code lets them in (django-otp slows guessing by a second).
    page.wait_for_timeout(1100)
    page.fill("#id_token", current_code(device))
    page.click("#verify")
    page.wait_for_url(live_server.url + "/admin/")
    assert page.locator("#site-name, #header").first.is_visible()
