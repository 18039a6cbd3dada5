"""One structured log line per request, in the JSON format that settings.LOGGING sets up."""

import copy
import io
import json
import logging
import logging.config
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

REQUEST_FIELDS = {"method", "path", "status", "duration_ms", "request_id"}


def _json_formatter(settings) -> logging.Formatter:
    """The formatter exactly as logging.config.dictConfig builds it from settings.LOGGING."""
    config = copy.deepcopy(settings.LOGGING["formatters"]["json"])
    return logging.config.DictConfigurator({}).configure_formatter(config)


@pytest.fixture
def request_log(settings):
    """What the ``mall.request`` logger writes, through the settings' JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_json_formatter(settings))
    logger = logging.getLogger("mall.request")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_a_request_is_logged_once_as_json(client, request_log, caplog):
    caplog.set_level(logging.INFO, logger="mall.request")

    response = client.get(reverse("healthz"), {"probe": "1"})

    records = [record for record in caplog.records if record.name == "mall.request"]
    assert len(records) == 1
    lines = request_log.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event.keys() >= REQUEST_FIELDS
    assert event["logger"] == "mall.request"
    assert event["level"] == "INFO"
    assert event["method"] == "GET"
    assert event["path"] == "/healthz"  # the path only: query strings may carry secrets
    assert event["status"] == 200
    assert isinstance(event["duration_ms"], int | float)
    assert event["duration_ms"] >= 0
    assert re.fullmatch(r"[0-9a-f]{32}", event["request_id"])
    assert response["X-Request-ID"] == event["request_id"]
    assert event["user_id"] is None


def test_each_request_gets_its_own_id(client):
    first = client.get(reverse("healthz"))["X-Request-ID"]
    second = client.get(reverse("healthz"))["X-Request-ID"]

    assert first != second


def test_an_incoming_request_id_is_echoed_and_logged(client, request_log):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "edge-4f1c.7:a=b"})

    assert response["X-Request-ID"] == "edge-4f1c.7:a=b"
    assert json.loads(request_log.getvalue())["request_id"] == "edge-4f1c.7:a=b"


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 129, "<script>", "a\tb"])
def test_an_implausible_request_id_is_replaced(client, request_log, incoming):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": incoming})

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert json.loads(request_log.getvalue())["request_id"] == response["X-Request-ID"]


def test_error_responses_are_logged_with_their_status(client, request_log):
    response = client.post(reverse("healthz"))

    assert response.status_code == 405
    event = json.loads(request_log.getvalue())
    assert (event["method"], event["status"]) == ("POST", 405)


@pytest.mark.django_db
def test_a_signed_in_user_is_logged_by_id(client, request_log):
    user = get_user_model().objects.create_user(email="logged@example.com", password=None)
    client.force_login(user)

    client.get(reverse("healthz"))

    assert json.loads(request_log.getvalue())["user_id"] == user.pk


def test_the_settings_json_formatter_emits_one_parseable_line(settings):
    formatter = _json_formatter(settings)
    record = logging.LogRecord(
        name="mall.orders",
        level=logging.WARNING,
        pathname=__file__,
        lineno=1,
        msg="order %s stuck: %s",
        args=("O-1", 'quote " and\nnewline'),
        exc_info=None,
    )
    record.order_id = 42

    line = formatter.format(record)

    assert "\n" not in line
    event = json.loads(line)
    assert event["message"] == 'order O-1 stuck: quote " and\nnewline'
    assert event["level"] == "WARNING"
    assert event["logger"] == "mall.orders"
    assert event["order_id"] == 42
    assert "time" in event
