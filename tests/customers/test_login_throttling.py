"""Login throttling (django-axes): repeated failures lock one account from one address."""

import pytest
from django.urls import reverse

from tests.customers.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("customers:login")


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_account_is_locked_after_the_failure_limit_even_with_the_right_password(client, limit):
    user = UserFactory(phone="13700000001")
    for _ in range(limit - 1):
        assert _login(client, user.phone, "wrong").status_code == 200
    locked = _login(client, user.phone, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    assert "15 minutes" in locked.text

    again = _login(client, user.phone, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_spelling_the_number_differently_counts_as_the_same_account(client, limit):
    user = UserFactory(phone="13700000002", email="Mixed@Example.com")
    _login(client, "+86 137-0000-0002", "wrong")
    _login(client, "13700000002", "wrong")
    assert _login(client, "0086 13700000002", "wrong").status_code == 429
    assert _login(client, user.phone, PASSWORD).status_code == 429


def test_lockout_is_per_account_and_address(client, limit):
    victim = UserFactory(phone="13700000003")
    other = UserFactory(phone="13700000004")
    for _ in range(limit):
        _login(client, victim.phone, "wrong")

    # Another account from the same address, and the same account from another address,
    # still log in: an attacker cannot lock a shopper out everywhere.
    assert _login(client, other.phone, PASSWORD).status_code == 302
    client.logout()
    assert _login(client, victim.phone, PASSWORD, ip="10.9.9.9").status_code == 302


def test_a_successful_login_resets_the_count(client, limit):
    user = UserFactory(phone="13700000005")
    for _ in range(limit - 1):
        _login(client, user.phone, "wrong")
    assert _login(client, user.phone, PASSWORD).status_code == 302
    client.logout()
    for _ in range(limit - 1):
        assert _login(client, user.phone, "wrong").status_code == 200


def test_signing_in_by_email_clears_failures_made_with_the_phone(client, limit):
    user = UserFactory(phone="13700000006", email="both@example.com")
    for _ in range(limit - 1):
        _login(client, user.phone, "wrong")
    assert _login(client, "BOTH@example.com", PASSWORD).status_code == 302
    client.logout()
    for _ in range(limit - 1):
        assert _login(client, user.phone, "wrong").status_code == 200


def test_a_phone_only_account_is_throttled_and_reset_too(client, limit):
    user = UserFactory(phone="13700000007", email=None)
    for _ in range(limit - 1):
        _login(client, user.phone, "wrong")
    assert _login(client, user.phone, PASSWORD).status_code == 302
    client.logout()
    for _ in range(limit - 1):
        assert _login(client, user.phone, "wrong").status_code == 200
    assert _login(client, user.phone, "wrong").status_code == 429


# Across accounts from one address (password spraying), password-reset emails and
# registrations: django-ratelimit counts per address (and per email) in Redis.


def test_one_guess_at_each_of_many_accounts_from_one_address_is_throttled(client, settings):
    settings.MALL_LOGIN_FAILURES_PER_ADDRESS = "10/h"
    accounts = [UserFactory(phone=f"1370001{n:04d}") for n in range(30)]
    answers = [_login(client, user.phone, "wrong", ip="10.1.1.1").status_code for user in accounts]
    assert answers[:10] == [200] * 10
    assert set(answers[10:]) == {429}
    # The right password from that address waits too; another address is not held up.
    assert _login(client, accounts[0].phone, PASSWORD, ip="10.1.1.1").status_code == 429
    assert _login(client, accounts[0].phone, PASSWORD, ip="10.1.1.2").status_code == 302


def test_password_reset_emails_are_throttled_per_address_and_per_email(
    client, settings, mailoutbox
):
    settings.MALL_PASSWORD_RESETS_PER_ADDRESS = "5/h"
    settings.MALL_PASSWORD_RESETS_PER_EMAIL = "2/h"
    user = UserFactory(email="reset.me@example.com")
    url = reverse("customers:password_reset")
    for _ in range(4):
        response = client.post(url, {"email": user.email}, REMOTE_ADDR="10.2.2.2")
        assert response.status_code == 302  # the same answer, sent or not
    assert len(mailoutbox) == 2
    response = client.post(url, {"email": "other@example.com"}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 302
    assert client.post(url, {"email": "x@example.com"}, REMOTE_ADDR="10.2.2.2").status_code == 429


def test_registrations_from_one_address_are_throttled(client, settings):
    settings.MALL_REGISTRATIONS_PER_ADDRESS = "3/h"
    url = reverse("customers:register")
    answers = []
    for n in range(5):
        client.logout()
        answers.append(
            client.post(
                url,
                {
                    "phone": f"1370002{n:04d}",
                    "password1": "correct-horse-battery-9",
                    "password2": "correct-horse-battery-9",
                },
                REMOTE_ADDR="10.3.3.3",
            ).status_code
        )
    assert answers == [302, 302, 302, 429, 429]
