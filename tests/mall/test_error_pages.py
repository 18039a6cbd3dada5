"""Refusals and missing pages are the shop's own pages, in its frame and language."""

import pytest

from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language, title", [("zh-hans", "无权访问"), ("en", "No access")])
def test_a_shopper_at_the_ticket_view_gets_the_shops_403_page(client, language, title):
    client.force_login(UserFactory())
    page = client.get("/support/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 403
    body = page.content.decode()
    assert f"<h1>{title}</h1>" in body and 'class="site-header"' in body
    assert "403 Forbidden" not in body


def test_a_missing_page_is_the_shops_404_page_in_the_readers_language(client):
    page = client.get("/product/999999/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 404
    assert "页面不存在" in page.content.decode() or "找不到" in page.content.decode()
