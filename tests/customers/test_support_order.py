"""The ticket's order beside the ticket: its number links to the order's page in the
ticket view, and the agent sees the parcels with their tracking events and the order's
after-sales cases inline, in a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.support.services import tickets
from orders.models import AfterSalesCase, TrackingEvent
from tests.customers.factories import UserFactory
from tests.customers.ticket_helpers import agent, open_ticket, staff
from tests.orders.fulfilment_helpers import calm_carrier, paid_order, ship_all, two_warehouse_goods

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calm(settings):
    calm_carrier(settings)


def _grow(shipment, order, size):
    """``size`` tracking events on the parcel and ``size`` after-sales cases on the order."""
    start = timezone.now() - datetime.timedelta(days=2)
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            shipment=shipment,
            event_id=f"e{n}",
            kind=TrackingEvent.Kind.IN_TRANSIT,
            location=f"转运中心 {n}",
            description=f"快件到达 {n}",
            occurred_at=start + datetime.timedelta(hours=n),
        )
        for n in range(size)
    )
    AfterSalesCase.objects.bulk_create(
        AfterSalesCase(
            number=f"AS{order.pk}{n:03}",
            order=order,
            user=order.user,
            kind=AfterSalesCase.Kind.RETURN,
            reason=AfterSalesCase.Reason.NO_REASON,
        )
        for n in range(size)
    )


@pytest.fixture
def shipped_ticket(db):
    tea, _cup = two_warehouse_goods(stock=50)
    shopper = UserFactory(display_name="韩梅梅")
    order = paid_order([(tea, 1)], user=shopper, city="杭州市", province="浙江省")
    [shipment] = ship_all(order, now=timezone.now() - datetime.timedelta(days=2))
    ticket = open_ticket(shopper, order=order, subject="快递到哪了")
    return ticket, order, shipment


def test_the_ticket_shows_its_orders_parcels_tracking_and_cases(client, shipped_ticket):
    ticket, order, shipment = shipped_ticket
    _grow(shipment, order, 3)
    worker = agent()
    tickets.assign(ticket=ticket, actor=worker)
    client.force_login(worker)
    page = client.get(reverse("support:ticket", args=[ticket.number])).content.decode()
    order_url = reverse("support:order", args=[order.number])
    assert f'href="{order_url}"' in page
    assert shipment.tracking_number and shipment.tracking_number in page
    assert page.count('class="tracking-event"') == 3
    assert "转运中心 2" in page and "快件到达 0" in page
    assert page.count('class="order-case"') == 3
    assert f"AS{order.pk}002" in page

    order_page = client.get(order_url)
    assert order_page.status_code == 200
    text = order_page.content.decode()
    assert shipment.tracking_number in text and text.count('class="tracking-event"') == 3
    assert reverse("support:ticket", args=[ticket.number]) in text  # the tickets about it
    assert "龙井" in text


def test_the_order_page_is_for_agents_only_and_404_for_an_unknown_order(client, shipped_ticket):
    _ticket, order, _shipment = shipped_ticket
    url = reverse("support:order", args=[order.number])
    for outsider in (order.user, staff("operator"), staff("warehouse")):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
    client.force_login(agent())
    assert client.get(reverse("support:order", args=["NOPE"])).status_code == 404


@pytest.mark.parametrize("size", [1, 12])
def test_tracking_and_cases_do_not_grow_the_queries(
    client, django_assert_max_num_queries, shipped_ticket, size
):
    ticket, order, shipment = shipped_ticket
    _grow(shipment, order, size)
    worker = agent()
    client.force_login(worker)
    client.get(reverse("support:queue"))  # session and permission caches warm
    # session, user, permissions (4) + ticket, messages, attachments, timeline, breaches,
    # the order, its lines, parcels, events, cases, orders, cases, other tickets, the
    # compensation coupons (listed and offered)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("support:ticket", args=[ticket.number])).status_code == 200
    # + the order, lines, parcels, events, cases, its tickets
    with django_assert_max_num_queries(11):
        assert client.get(reverse("support:order", args=[order.number])).status_code == 200
