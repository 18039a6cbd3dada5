"""The channel report credits each paid order to its last non-direct click: the UTM of
the session that placed it, or the visitor's latest UTM session within the window before;
cost per order and ROI per placement; queries do not grow with orders."""

import datetime
import json
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import OrderAttribution
from analytics.selectors.channels import channel_report
from analytics.services import ingestion
from marketing.models import Channel
from marketing.services.campaigns import channels
from tests.customers.factories import UserFactory
from tests.marketing.promo_helpers import place, shopper_with_address
from tests.orders import paying
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _placement(name="达人短视频", amount="100"):
    channel = Channel.objects.filter(source="douyin").first() or Channel.objects.create(
        name="抖音", kind=Channel.Kind.SHORT_VIDEO, source="douyin"
    )
    now = timezone.now()
    return channels.save_placement(
        actor=UserFactory(),
        data={
            "channel": channel,
            "name": name,
            "starts_at": now - 10 * DAY,
            "ends_at": now + DAY,
            "amount": Decimal(amount),
            "landing_page": "/",
        },
    )


def _event(*, name, visitor, session, at, utm_source="", utm_campaign="", order=None):
    item = {
        "id": str(uuid.uuid4()),
        "at": at.isoformat(),
        "name": name,
        "visitor": visitor,
        "session": session,
        "utm_source": utm_source,
        "utm_medium": "short_video" if utm_source else "",
        "utm_campaign": utm_campaign,
    }
    if order is not None:
        item["order"] = order
    ingestion.write_events([json.dumps(item).encode()])


def _sale(price="100.00"):
    tea = listed_sku(price=price, stock=5)
    user, address = shopper_with_address()
    order = place(user, address, [(tea, 1)])
    paying.pay(order)
    order.refresh_from_db()
    return order


def _visit_and_buy(placement, *, clicked_days_before=None, direct_order=False):
    """A visitor who came through ``placement``'s link and bought, in the same session
    or (``direct_order``) later, coming back direct."""
    visitor, first, second = (uuid.uuid4().hex for _ in range(3))
    order = _sale()
    clicked_at = order.placed_at - datetime.timedelta(days=clicked_days_before or 0, minutes=5)
    _event(
        name="product_view",
        visitor=visitor,
        session=first,
        at=clicked_at,
        utm_source="douyin",
        utm_campaign=placement.code,
    )
    if direct_order:
        _event(
            name="order_placed", visitor=visitor, session=second, at=order.placed_at, order=order.pk
        )
    else:
        _event(
            name="order_placed",
            visitor=visitor,
            session=first,
            at=order.placed_at,
            utm_source="douyin",
            utm_campaign=placement.code,
            order=order.pk,
        )
    return order


def _today():
    return timezone.localdate()


def test_orders_are_credited_to_the_placement_of_their_session():
    made = _placement(amount="100")
    orders = [_visit_and_buy(made) for _ in range(2)]
    assert OrderAttribution.objects.filter(order__in=orders, utm_campaign=made.code).count() == 2

    [row] = channel_report(start=_today() - DAY, end=_today())

    assert (row.channel, row.orders, row.sessions) == ("抖音", 2, 2)
    [by_placement] = row.placements
    assert by_placement.orders == 2 and by_placement.code == made.code
    assert by_placement.cost_per_order == Decimal("50.00")
    assert by_placement.conversion == Decimal("100.00")
    # No purchase cost known: the margin is what the goods were paid (2 × 100).
    assert by_placement.roi == Decimal("1.00")


def test_a_direct_return_within_the_window_is_credited_to_the_earlier_click():
    made = _placement()
    _visit_and_buy(made, clicked_days_before=3, direct_order=True)

    [row] = channel_report(start=_today() - DAY, end=_today())

    assert row.placements[0].orders == 1


def test_a_click_older_than_the_window_credits_nothing(settings):
    settings.MALL_CAMPAIGN_ATTRIBUTION_DAYS = 2
    made = _placement()
    _visit_and_buy(made, clicked_days_before=3, direct_order=True)

    [row] = channel_report(start=_today() - 5 * DAY, end=_today())

    assert row.orders == 0


def test_the_report_takes_the_same_queries_for_more_orders(django_assert_max_num_queries):
    made = _placement()
    _visit_and_buy(made)
    with django_assert_max_num_queries(4):
        channel_report(start=_today() - DAY, end=_today())
    for _ in range(5):
        _visit_and_buy(made)
    _placement(name="第二个投放")
    with django_assert_max_num_queries(4):
        [row] = channel_report(start=_today() - DAY, end=_today())
    assert row.orders == 6 and len(row.placements) == 2


def test_the_report_page_and_its_csv(client):
    made = _placement()
    _visit_and_buy(made)
    client.force_login(UserFactory(roles=["manager"]))
    page = client.get("/admin/analytics/channel-report/")
    assert page.status_code == 200 and "达人短视频" in page.content.decode()
    csv = client.get("/admin/analytics/channel-report/?format=csv")
    assert (
        "达人短视频" in b"".join(csv.streaming_content if csv.streaming else [csv.content]).decode()
    )
    client.force_login(UserFactory())
    assert client.get("/admin/analytics/channel-report/").status_code in (302, 403)
