"""Every response carries a Content-Security-Policy (inline scripts only with the
response's nonce) and a Permissions-Policy; account, order and staff pages are never
stored by a browser or proxy (Cache-Control: private, no-store)."""

import re

import pytest
from django.urls import reverse

from mall import roles
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.parametrize(
    "url", ["/", "/healthz", "/api/v1/products/", "/accounts/login/", "/no-such-page/"]
)
def test_every_response_has_a_csp_and_a_permissions_policy(client, url):
    response = client.get(url)
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


def test_inline_scripts_carry_the_responses_nonce(client):
    client.force_login(UserFactory())
    response = client.get(reverse("tickets:new"))
    html = response.content.decode()
    nonces = set(re.findall(r'<script nonce="([^"]+)"', html))
    assert len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in csp(response)["script-src"]
    assert "<script>" not in html and "onchange=" not in html


@pytest.mark.parametrize(
    "url",
    ["/accounts/", "/accounts/addresses/", "/orders/", "/cart/", "/accounts/tickets/"],
)
def test_account_and_order_pages_are_not_stored(client, url):
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 200, url
    assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"private", "no-store"}


@pytest.mark.parametrize("url", ["/support/", "/admin/", "/admin/orders/order/"])
def test_staff_pages_are_not_stored(client, url):
    role = roles.SUPPORT_AGENT if url.startswith("/support/") else roles.OPERATOR
    client.force_login(UserFactory(roles=[role]))
    response = client.get(url)
    assert response.status_code == 200, url
    assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"private", "no-store"}


def test_the_sign_in_page_is_not_stored_either(client):
    response = client.get("/accounts/login/")
    assert "no-store" in response["Cache-Control"]
