"""While PostgreSQL cannot be reached, the shop says so: 503 with Retry-After, JSON for
the API and a short translated page for shoppers, never Django's HTML 500 page. The
database is made unreachable for real (the connection is pointed at a closed port); the
fault drill in tests/faults does it to a running shop by stopping PostgreSQL."""

import socket
from contextlib import contextmanager

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cache import SessionStore
from django.db import connections
from django.test import Client


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database_unreachable(django_db_blocker):
    with django_db_blocker.unblock():
        connection = connections["default"]
        connection.close()
        saved = connection.settings_dict["PORT"]
        connection.settings_dict["PORT"] = _closed_port()
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["PORT"] = saved


@pytest.fixture
def shopper_client():
    # A signed-in session (sessions live in Redis): loading its shopper needs the database.
    session = SessionStore()
    session.update({SESSION_KEY: "1", BACKEND_SESSION_KEY: "customers.auth.PhoneOrEmailBackend"})
    session.save()
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = session.session_key
    return client


def test_the_api_answers_503_json_with_retry_after(django_db_blocker, shopper_client):
    with database_unreachable(django_db_blocker):
        response = shopper_client.get("/api/v1/orders/", HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "detail": "The shop is briefly unavailable. Please try again in a minute.",
        "code": "service_unavailable",
    }


def test_pages_answer_a_translated_503_page(django_db_blocker, shopper_client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with database_unreachable(django_db_blocker):
        response = shopper_client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "商城暂时无法访问" in page
    assert "Something went wrong" not in page
    # The outage page is a page like the others: the same security headers.
    assert "script-src" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_other_server_errors_stay_500(client):
    # Only an unreachable database becomes a 503: a plain 404 or a working page is untouched.
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/healthz").status_code == 200
