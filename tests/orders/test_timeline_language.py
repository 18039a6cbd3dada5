"""Timeline notes are kept as message ids with their parameters and read in the reader's
language, amounts as money; notes stored as text before stay readable."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from orders.models import OrderStatusChange
from tests.orders.factories import listed_sku, place
from tests.orders.paying import pay

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def paid_order(db):
    order = place(items=[(listed_sku(price="4937.80"), 1)])
    pay(order)
    return order


def timeline_of(client, order, language):
    client.force_login(order.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    return page.split('id="timeline"')[1].split("</ol>")[0]


def test_an_english_page_shows_no_chinese_timeline_text(client, paid_order):
    timeline = timeline_of(client, paid_order, "en")
    assert "Paid ¥4,937.80, payment" in timeline
    assert not CHINESE.search(timeline), timeline


def test_a_chinese_page_reads_the_same_note_in_chinese_with_money_as_money(client, paid_order):
    timeline = timeline_of(client, paid_order, "zh-hans")
    assert "已付款 ¥4,937.80，支付单号" in timeline
    stored = paid_order.timeline.get(transition="pay").reason
    assert stored.startswith('{"msgid": "Paid %(amount)s') and "4937.80" in stored


def test_notes_stored_as_text_before_stay_readable(client, paid_order):
    OrderStatusChange.objects.filter(subject=paid_order, transition="pay").update(
        reason="已收到您支付的 4937.80"
    )
    assert "已收到您支付的 4937.80" in timeline_of(client, paid_order, "zh-hans")
