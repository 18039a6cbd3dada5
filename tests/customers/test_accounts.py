"""Registration, login/logout, password reset and the profile page, through the test client."""

import datetime
import re

import pytest
from django.contrib.auth import SESSION_KEY, authenticate
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from customers.models import User
from tests.customers.factories import PASSWORD, UserFactory


def _authenticate(**credentials):
    """authenticate() through every backend, django-axes included, as a login does."""
    return authenticate(RequestFactory().post(reverse("customers:login")), **credentials)


pytestmark = pytest.mark.django_db

REGISTER = reverse("customers:register")
LOGIN = reverse("customers:login")
LOGOUT = reverse("customers:logout")
ACCOUNT = reverse("customers:account")
RESET = reverse("customers:password_reset")

NEW_PASSWORD = "plum-blossom-river-77"
BAD_MOBILE = "Enter a valid mainland China mobile number (11 digits, e.g. 13812345678)."
BAD_LOGIN = (
    "The mobile number or email and password do not match an account. "
    "Note that the password is case-sensitive."
)


def _register(client, **fields):
    data = {
        "phone": "",
        "email": "",
        "display_name": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(fields)
    return client.post(REGISTER, data)


def _logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


# --- Registration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "phone", "email"),
    [
        ({"phone": "13812345678"}, "13812345678", None),
        ({"email": "Han.Meimei@Example.COM"}, None, "han.meimei@example.com"),
        ({"phone": "13812345678", "email": "hm@example.com"}, "13812345678", "hm@example.com"),
        ({"phone": "+86 138-1234-5678"}, "13812345678", None),
        ({"phone": "0086 (138) 1234 5678"}, "13812345678", None),
    ],
    ids=["phone-only", "email-only", "both", "plus86-dashes", "0086-brackets"],
)
def test_registration_creates_the_account_and_logs_in(client, fields, phone, email):
    response = _register(client, **fields)

    assert response.status_code == 302
    assert response.url == ACCOUNT
    user = User.objects.get()
    assert (user.phone, user.email) == (phone, email)
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    assert str(_logged_in_user_id(client)) == str(user.pk)
    page = client.get(ACCOUNT)
    assert page.status_code == 200
    assert "Welcome to mall! Your account is ready." in page.content.decode()


@pytest.mark.parametrize("phone", ["12345", "23812345678", "1381234567a", "138123456789"])
def test_registration_rejects_a_bad_mobile_number(client, phone):
    response = _register(client, phone=phone)

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [BAD_MOBILE]
    assert BAD_MOBILE in response.content.decode()
    assert not User.objects.exists()
    assert _logged_in_user_id(client) is None


def test_registration_needs_a_phone_or_an_email(client):
    response = _register(client)

    assert response.status_code == 200
    message = "Give a mobile number or an email address (or both) to sign in with."
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_registration_rejects_a_taken_phone_in_another_format(client):
    UserFactory(phone="13812345678")

    response = _register(client, phone="+86 138 1234 5678")

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "An account with this mobile number already exists."
    ]
    assert User.objects.count() == 1


def test_registration_rejects_a_taken_email_differing_in_case(client):
    UserFactory(email="wang.fang@example.com")

    response = _register(client, email="Wang.Fang@EXAMPLE.com")

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]
    assert User.objects.count() == 1


def test_registration_rejects_mismatched_passwords(client):
    response = _register(client, phone="13812345678", password2=NEW_PASSWORD + "x")

    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["The two passwords do not match."]
    assert "The two passwords do not match." in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", "This password is too common."),
        ("31415926535", "This password is entirely numeric."),
        ("kq7#z", "This password is too short."),
    ],
)
def test_registration_rejects_a_weak_password(client, password, message):
    response = _register(client, phone="13812345678", password1=password, password2=password)

    assert response.status_code == 200
    assert any(error.startswith(message) for error in response.context["form"].errors["password1"])
    assert not User.objects.exists()


def test_registration_records_when_marketing_consent_was_given(client):
    before = timezone.now()
    _register(client, phone="13812345678", marketing_consent="on")

    user = User.objects.get()
    assert user.marketing_consent is True
    assert before <= user.marketing_consent_at <= timezone.now()


def test_registration_without_consent_records_none(client):
    _register(client, phone="13812345678")

    user = User.objects.get()
    assert user.marketing_consent is False
    assert user.marketing_consent_at is None


# --- Login and logout ------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    ["13812345678", "+86 138 1234 5678", "li.lei@example.com", "LI.Lei@Example.com"],
)
def test_login_with_phone_or_email(client, shopper, identifier):
    response = client.post(LOGIN, {"username": identifier, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == ACCOUNT
    assert str(_logged_in_user_id(client)) == str(shopper.pk)


def test_login_with_a_wrong_password_shows_the_error(client, shopper):
    response = client.post(LOGIN, {"username": shopper.phone, "password": PASSWORD + "x"})

    assert response.status_code == 200
    assert BAD_LOGIN in response.content.decode()
    assert _logged_in_user_id(client) is None


def test_an_inactive_user_cannot_log_in(client):
    user = UserFactory(is_active=False)

    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert BAD_LOGIN in response.content.decode()
    assert _logged_in_user_id(client) is None


def test_logout_by_post_logs_out(shopper_client):
    response = shopper_client.post(LOGOUT)

    assert response.status_code == 302
    assert _logged_in_user_id(shopper_client) is None
    assert shopper_client.get(ACCOUNT).status_code == 302


def test_logout_by_get_is_refused_and_keeps_the_session(shopper_client, shopper):
    response = shopper_client.get(LOGOUT)

    assert response.status_code == 405
    assert str(_logged_in_user_id(shopper_client)) == str(shopper.pk)


# --- Password reset --------------------------------------------------------------------


def test_password_reset_by_email_link(client, shopper, mailoutbox):
    response = client.post(RESET, {"email": "Li.Lei@example.com"}, follow=True)

    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["li.lei@example.com"]
    assert mail.subject == "Reset your mall password"
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/\S+/)", mail.body).group(1)

    # The link redirects to a token-less URL; the form lives there.
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your new password is set." in done.content.decode()

    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)
    assert not shopper.check_password(PASSWORD)
    assert _authenticate(username=shopper.phone, password=PASSWORD) is None
    assert _authenticate(username=shopper.phone, password=NEW_PASSWORD) == shopper
    # The link works once.
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, shopper, mailoutbox
):
    response = client.post(RESET, {"email": "nobody@example.com"}, follow=True)

    assert response.redirect_chain == [(reverse("customers:password_reset_done"), 302)]
    assert "Check your email" in response.content.decode()
    assert mailoutbox == []


# --- Profile page ----------------------------------------------------------------------


def _profile(user, **changes):
    data = {
        "display_name": user.display_name,
        "phone": user.phone or "",
        "email": user.email or "",
        "birthday": user.birthday.isoformat() if user.birthday else "",
    }
    if user.marketing_consent:
        data["marketing_consent"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_profile_page_requires_login(client):
    response = client.get(ACCOUNT)

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={ACCOUNT}"


def test_profile_page_shows_the_profile(shopper_client, shopper):
    response = shopper_client.get(ACCOUNT)

    assert response.status_code == 200
    assert response.context["form"].instance.pk == shopper.pk
    assert "li.lei@example.com" in response.content.decode()


def test_profile_update(shopper_client, shopper):
    response = shopper_client.post(
        ACCOUNT,
        _profile(
            shopper,
            display_name="小李",
            birthday="1990-05-04",
            phone="+86 139 0000 1111",
            email="Lei.Li@Example.com",
        ),
        follow=True,
    )

    assert response.redirect_chain == [(ACCOUNT, 302)]
    assert "Your profile was saved." in response.content.decode()
    shopper.refresh_from_db()
    assert shopper.display_name == "小李"
    assert shopper.birthday == datetime.date(1990, 5, 4)
    assert shopper.phone == "13900001111"
    assert shopper.email == "lei.li@example.com"


def test_profile_giving_and_withdrawing_consent_moves_the_timestamp(shopper_client, shopper):
    assert shopper.marketing_consent_at is None
    before = timezone.now()

    shopper_client.post(ACCOUNT, _profile(shopper, marketing_consent="on"))

    shopper.refresh_from_db()
    assert shopper.marketing_consent is True
    assert shopper.marketing_consent_at is not None
    assert before <= shopper.marketing_consent_at <= timezone.now()

    shopper_client.post(ACCOUNT, _profile(shopper, marketing_consent=None))

    shopper.refresh_from_db()
    assert shopper.marketing_consent is False
    assert shopper.marketing_consent_at is None


def test_profile_keeps_the_consent_time_when_consent_is_unchanged(shopper_client, shopper):
    given_at = timezone.now() - datetime.timedelta(days=30)
    User.objects.filter(pk=shopper.pk).update(marketing_consent=True, marketing_consent_at=given_at)
    shopper.refresh_from_db()

    shopper_client.post(ACCOUNT, _profile(shopper, display_name="新名字"))

    shopper.refresh_from_db()
    assert shopper.display_name == "新名字"
    assert shopper.marketing_consent_at == given_at


def test_profile_rejects_clearing_both_phone_and_email(shopper_client, shopper):
    response = shopper_client.post(ACCOUNT, _profile(shopper, phone="", email=""))

    assert response.status_code == 200
    assert (
        "Give a mobile number or an email address (or both) to sign in with."
        in response.content.decode()
    )
    shopper.refresh_from_db()
    assert (shopper.phone, shopper.email) == ("13812345678", "li.lei@example.com")


def test_profile_may_clear_one_of_phone_and_email(shopper_client, shopper):
    response = shopper_client.post(ACCOUNT, _profile(shopper, phone=""))

    assert response.status_code == 302
    shopper.refresh_from_db()
    assert (shopper.phone, shopper.email) == (None, "li.lei@example.com")


def test_profile_rejects_another_users_phone(shopper_client, shopper):
    UserFactory(phone="13900001111")

    response = shopper_client.post(ACCOUNT, _profile(shopper, phone="139-0000-1111"))

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "An account with this mobile number already exists."
    ]
    shopper.refresh_from_db()
    assert shopper.phone == "13812345678"


def test_profile_rejects_another_users_email_in_other_case(shopper_client, shopper):
    UserFactory(email="taken@example.com")

    response = shopper_client.post(ACCOUNT, _profile(shopper, email="TAKEN@example.com"))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]
    shopper.refresh_from_db()
    assert shopper.email == "li.lei@example.com"


def test_profile_rejects_a_bad_phone(shopper_client, shopper):
    response = shopper_client.post(ACCOUNT, _profile(shopper, phone="12345"))

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [BAD_MOBILE]
    shopper.refresh_from_db()
    assert shopper.phone == "13812345678"


def test_rejected_profile_form_does_not_leak_into_the_page_header(shopper_client, shopper):
    response = shopper_client.post(
        ACCOUNT, _profile(shopper, display_name="Not Saved", phone="", email="")
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["user"].display_name == shopper.display_name
    assert "Not Saved" not in response.text.split("<main")[0]  # the header


# --- Backend ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier", ["13900009999", "nobody@example.com", "not a number", "+86 139 0000 9999"]
)
def test_backend_returns_none_for_an_unknown_identifier(shopper, identifier):
    assert _authenticate(username=identifier, password=PASSWORD) is None


@pytest.mark.parametrize("identifier", ["13812345678", "li.lei@example.com"])
def test_backend_returns_none_for_a_wrong_password(shopper, identifier):
    assert _authenticate(username=identifier, password="wrong-" + PASSWORD) is None
    assert _authenticate(username=identifier, password=PASSWORD) == shopper


def test_backend_returns_none_without_credentials(shopper):
    assert _authenticate(username="", password=PASSWORD) is None
    assert _authenticate(username=shopper.phone, password=None) is None
