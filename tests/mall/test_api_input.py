"""Hostile request bodies on the JSON API get a 400 with a reason, never a 500."""

import pytest

from tests.customers.factories import UserFactory
from tests.marketing.flashsale_helpers import sale_sku, schedule

pytestmark = pytest.mark.django_db

NESTED = "[" * 100_000


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cart/lines/",
        "/api/v1/checkout/quote/",
        "/api/v1/orders/",
        "/api/v1/flash-sales/{sale}/buy/",
    ],
)
def test_deeply_nested_json_is_a_400(client, url):
    if "{sale}" in url:
        url = url.format(sale=schedule(sale_sku()).pk)
    client.force_login(UserFactory())
    response = client.post(
        url, NESTED, content_type="application/json", HTTP_IDEMPOTENCY_KEY="nested-1"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
