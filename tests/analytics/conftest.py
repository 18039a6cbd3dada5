"""Analytics fixtures: collection on, against the test Redis, emptied around each test."""

import pytest
from django.test import Client

from analytics.services import collection

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


@pytest.fixture
def collecting(settings, redis_client):
    """Events are collected (the suite turns collection off elsewhere)."""
    settings.MALL_ANALYTICS_COLLECT = True
    collection.reset_client()
    yield redis_client
    collection.reset_client()


@pytest.fixture
def browser_client():
    """A client that looks like a person's browser (no user agent is a robot)."""
    return Client(headers={"User-Agent": BROWSER})


def queued(redis_client) -> list[dict]:
    import json

    return [json.loads(item) for item in redis_client.lrange(collection.QUEUE_KEY, 0, -1)]
