import re

import pytest

from customers.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_shopper_registers_logs_out_logs_in_and_sees_account_page(page, live_server, artifacts_dir):
    # The storefront speaks Chinese by default.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    page.goto(live_server.url + "/accounts/register/")
    page.fill("#id_phone", "+86 139 1234 5678")
    page.fill("#id_email", "Lin.Xia@Example.com")
    page.fill("#id_display_name", "林夏")
    page.fill("#id_password1", "plum-blossom-2026")
    page.fill("#id_password2", "plum-blossom-2026")
    page.check("#id_marketing_consent")
    page.click("form.stacked button[type=submit]")

    page.wait_for_url(re.compile(r"/accounts/$"))
    assert "林夏" in page.locator(".account-summary").inner_text()
    user = User.objects.get(phone="13912345678")
    assert user.email == "lin.xia@example.com"
    assert user.marketing_consent_at is not None

    # Log out through the account menu, then log in again with the mobile number.
    page.click(".account-menu summary")
    page.click(".account-menu button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".account-menu").count() == 0

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "13912345678")
    page.fill("#id_password", "wrong-password")
    page.click("form.stacked button[type=submit]")
    assert page.locator(".errorlist.nonfield").is_visible()

    page.fill("#id_password", "plum-blossom-2026")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/$"))
    assert page.locator("#id_display_name").input_value() == "林夏"
    page.screenshot(path=str(artifacts_dir / "account-page.png"), full_page=True)


def test_registration_with_a_bad_phone_shows_the_error_and_creates_nothing(
    page, live_server, artifacts_dir
):
    page.goto(live_server.url + "/accounts/register/")
    page.fill("#id_phone", "12345")
    page.fill("#id_password1", "plum-blossom-2026")
    page.fill("#id_password2", "plum-blossom-2026")
    page.click("form.stacked button[type=submit]")
    assert page.locator("#id_phone_errors").is_visible()
    assert User.objects.count() == 0
    page.screenshot(path=str(artifacts_dir / "register-bad-phone.png"), full_page=True)


def test_language_switcher_changes_the_page_language(page, live_server):
    page.goto(live_server.url + "/")
    assert page.locator(".search button").inner_text() == "搜索"
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".search button").inner_text() == "Search"
