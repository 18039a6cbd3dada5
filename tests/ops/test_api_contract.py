"""The OpenAPI schema tells the truth: schemathesis generates requests from it (valid
ones and, for every parameter and body, invalid ones), sends them to the shop through
WSGI as a signed-in shopper, and checks each answer against the schema: a status code
the operation lists, a body of the documented shape, no 500, and invalid input refused."""

from importlib import import_module

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from mall.wsgi import application
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.flashsale_helpers import sale_sku, schedule

CSRF = "c" * 32
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db):
    # Called through WSGI, a request's end would close the test's database connection
    # (and its transaction): Django's own test client unhooks this too.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def shopper_cookies(db):
    shopper = UserFactory()
    AddressFactory(user=shopper, is_default=True)
    schedule(sale_sku(stock=50), quantity=20, limit=2)
    session = import_module(settings.SESSION_ENGINE).SessionStore()  # Redis, as configured
    session[SESSION_KEY] = str(shopper.pk)
    session[BACKEND_SESSION_KEY] = "customers.auth.PhoneOrEmailBackend"
    session[HASH_SESSION_KEY] = shopper.get_session_auth_hash()
    session.create()
    return {settings.SESSION_COOKIE_NAME: session.session_key, settings.CSRF_COOKIE_NAME: CSRF}


def _schema_without_sign_in():
    """The shop's schema as served, less its sign-in declaration: the test signs the
    shopper in itself (a session cookie), so schemathesis should neither generate nor
    withhold that cookie."""
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", application)
    raw = dict(loaded.raw_schema)
    for operations in raw["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    raw.pop("security", None)
    raw.get("components", {}).pop("securitySchemes", None)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = application
    return schema


schema = _schema_without_sign_in()


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_what_the_schema_says(case, shopper_cookies):
    case.call_and_validate(cookies=shopper_cookies, headers={"X-CSRFToken": CSRF}, checks=CHECKS)


# The four untruths the issue found, each pinned by name as well.


def test_every_operation_lists_its_error_answers(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    buy = paths["/api/v1/flash-sales/{id}/buy/"]["post"]
    assert {"400", "403", "404"} <= set(buy["responses"])
    assert {"400", "403"} <= set(paths["/api/v1/orders/"]["post"]["responses"])
    assert "404" in paths["/api/v1/orders/{number}/"]["get"]["responses"]
    key = next(p for p in buy["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["maxLength"] == 64
    key = next(
        p for p in paths["/api/v1/orders/"]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    )
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 64)


def test_an_empty_ordering_is_refused(client):
    response = client.get("/api/v1/products/?ordering=")
    assert response.status_code == 400 and "ordering" in response.json()


def test_flash_sale_field_errors_carry_the_code(client, shopper_cookies):
    sale = schedule(sale_sku(name="另一款"), quantity=5)
    for name, value in shopper_cookies.items():
        client.cookies[name] = value
    response = client.post(
        f"/api/v1/flash-sales/{sale.pk}/buy/",
        {"quantity": 0},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"] and "quantity" in body["fields"]


def test_a_flash_sale_body_that_is_not_json_is_refused_with_the_code(shopper_cookies):
    # Found by schemathesis: a body of one NUL byte was DRF's bare parse error, no code.
    # The CSRF check is on, as for a real browser: it is what reads the body first.
    client = Client(enforce_csrf_checks=True)
    sale = schedule(sale_sku(name="第三款"), quantity=5)
    for name, value in shopper_cookies.items():
        client.cookies[name] = value
    response = client.post(
        f"/api/v1/flash-sales/{sale.pk}/buy/",
        b"\x00",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k2",
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "JSON parse error" in body["detail"]
