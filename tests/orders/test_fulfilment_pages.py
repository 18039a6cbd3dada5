"""The pages of fulfilment and logistics: the warehouse's shipments, pick lists, packing
and shipping in the admin; operators' exception cases and the carrier scorecard; the
shopper's order page and API with parcels and tracking. Each page runs a bounded number
of queries, checked at two data sizes."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import LogisticsCase, Order, Shipment, TrackingEvent
from orders.services import fulfilment, logistics
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.orders.fulfilment_helpers import (
    DAY,
    HOUR,
    calm_carrier,
    mishaps,
    pack,
    paid_order,
    ship_all,
    two_warehouse_goods,
)

# Parcels are shipped days ago and the scorecard groups them by month: from the middle of
# a month, they all fall in that month (on the 7th, the 12-days-old ones did not).
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


@pytest.fixture(autouse=True)
def _calm(settings):
    calm_carrier(settings)


@pytest.fixture
def goods(db):
    return two_warehouse_goods(stock=200)


@pytest.fixture
def clerk(db):
    return UserFactory(roles=["warehouse"])


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


def _allocated(goods, count):
    tea, cup = goods
    shipments = []
    for _ in range(count):
        shipments += fulfilment.allocate_order(order=paid_order([(tea, 2), (cup, 1)]))
    return shipments


def _tracked(goods, count, *, days_ago=6):
    """``count`` orders of tea shipped ``days_ago`` and polled until delivered."""
    tea, _cup = goods
    orders = []
    for _ in range(count):
        order = paid_order([(tea, 1)])
        ship_all(order, now=timezone.now() - days_ago * DAY)
        orders.append(order)
    logistics.poll_shipments()
    return orders


# --- Shipments in the admin -------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 15])
def test_the_warehouse_lists_and_opens_shipments_in_bounded_queries(
    client, clerk, goods, count, django_assert_max_num_queries
):
    shipments = _allocated(goods, count)
    _tracked(goods, count)
    client.force_login(clerk)
    url = reverse("admin:orders_shipment_changelist")
    with django_assert_max_num_queries(12):
        listed = client.get(url)
    assert listed.status_code == 200 and listed.context["cl"].result_count == 3 * count
    body = listed.content.decode()
    assert reverse("admin:orders_shipment_pack", args=[shipments[0].pk]) in body
    assert reverse("admin:orders_shipment_pick_lists") in body
    picking = client.get(url, {"status__exact": "picking", "carrier": "sandbox"})
    assert picking.context["cl"].result_count == 0
    by_state = client.get(url, {"status__exact": "picking"})
    assert by_state.context["cl"].result_count == 2 * count
    assert by_state.context["action_form"] is None  # nothing to do to a shipment to pick
    packed = client.get(url, {"status__exact": "packed"})
    actions = dict(packed.context["action_form"].fields["action"].choices)
    assert "ship" in actions and "cancel" not in actions  # the warehouse may not cancel

    to_pack = client.get(reverse("admin:orders_shipment_change", args=[shipments[0].pk]))
    assert 'id="pack-link"' in to_pack.content.decode()
    assert 'id="ship-link"' not in to_pack.content.decode()
    delivered = Shipment.objects.filter(status="delivered").first()
    with django_assert_max_num_queries(16):
        page = client.get(reverse("admin:orders_shipment_change", args=[delivered.pk]))
    assert page.status_code == 200
    assert delivered.tracking_number in page.content.decode()
    assert "Delivered: signed for by the recipient" in page.content.decode()
    assert (
        client.post(reverse("admin:orders_shipment_change", args=[delivered.pk])).status_code == 403
    )


@pytest.mark.parametrize("count", [1, 12])
def test_a_pick_list_is_printable_and_runs_a_fixed_number_of_queries(
    client, clerk, goods, count, django_assert_max_num_queries
):
    tea, _cup = goods
    shipments = _allocated(goods, count)
    client.force_login(clerk)
    with django_assert_max_num_queries(8):
        index = client.get(reverse("admin:orders_shipment_pick_lists"))
    assert "杭州仓" in index.content.decode() and "广州仓" in index.content.decode()
    warehouse = tea.stocks.get().warehouse
    with django_assert_max_num_queries(9):
        page = client.get(reverse("admin:orders_shipment_pick_list", args=[warehouse.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "@media print" in body
    assert tea.code in body and "6901234567892" in body and "龙井" in body
    assert f'id="pick-{shipments[0].number}"' in body
    assert f'<td class="quantity">{2 * count}</td>' in body  # the units per SKU


def test_packing_in_the_admin_shows_every_mismatch_then_confirms(client, clerk, goods):
    tea, _cup = goods
    north = _allocated(goods, 1)[0]
    client.force_login(clerk)
    url = reverse("admin:orders_shipment_pack", args=[north.pk])
    page = client.get(url)
    assert page.status_code == 200 and tea.code in page.content.decode()

    unreadable = client.post(url, {"scans": f"{tea.code} two"})
    assert "Cannot read line(s) 1" in unreadable.content.decode()
    wrong = client.post(url, {"scans": f"{tea.code}\nXX-1 3"})
    body = wrong.content.decode()
    assert 'id="packing-problems"' in body
    assert "2 expected, only 1 packed." in body and "XX-1 (3) is not in this shipment." in body
    north.refresh_from_db()
    assert north.status == Shipment.Status.PICKING

    done = client.post(url, {"scans": "6901234567892\n6901234567892"})
    assert done.status_code == 302
    north.refresh_from_db()
    assert north.status == Shipment.Status.PACKED and north.packed_by == clerk
    again = client.post(url, {"scans": f"{tea.code} 2"})
    assert "is not possible" in again.content.decode()


def test_shipping_in_the_admin_one_by_one_or_several_at_once(client, clerk, goods):
    first, second, third, fourth = _allocated(goods, 2)
    for shipment in (first, second, third):
        pack(shipment, clerk)
    client.force_login(clerk)
    url = reverse("admin:orders_shipment_ship", args=[first.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"carrier": "sf-express"})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert client.post(url, {"carrier": "sandbox"}).status_code == 302
    first.refresh_from_db()
    assert first.status == Shipment.Status.SHIPPED and first.shipped_by == clerk

    changelist = reverse("admin:orders_shipment_changelist")
    selected = [second.pk, third.pk, fourth.pk]
    confirm = client.post(changelist, {"action": "ship", ACTION_CHECKBOX_NAME: selected})
    assert confirm.status_code == 200 and 'name="carrier"' in confirm.content.decode()
    shipped = client.post(
        changelist,
        {"action": "ship", ACTION_CHECKBOX_NAME: selected, "apply": "1", "carrier": "sandbox"},
        follow=True,
    )
    messages = [str(message) for message in shipped.context["messages"]]
    assert "2 shipments handed to the carrier." in messages
    assert any(fourth.number in message and "not possible" in message for message in messages)
    statuses = dict(Shipment.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in selected] == ["shipped", "shipped", "picking"]


def test_only_the_warehouse_packs_and_ships(client, operator, goods):
    shipment = _allocated(goods, 1)[0]
    client.force_login(operator)
    assert client.get(reverse("admin:orders_shipment_changelist")).status_code == 200
    for name in ("admin:orders_shipment_pack", "admin:orders_shipment_ship"):
        assert client.get(reverse(name, args=[shipment.pk])).status_code == 403
    client.force_login(shipment.order.user)
    response = client.get(reverse("admin:orders_shipment_pick_lists"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_superuser_cancels_a_shipment_in_the_warehouse_with_a_reason(client, goods):
    shipment = _allocated(goods, 1)[0]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:orders_shipment_changelist")
    client.post(
        changelist,
        {"action": "cancel", ACTION_CHECKBOX_NAME: [shipment.pk], "apply": "1", "reason": "换仓"},
    )
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.CANCELLED
    assert shipment.history.last().reason == "换仓"


# --- Exception cases and the scorecard --------------------------------------------------------


def _cases(goods, settings, count):
    mishaps(settings, loss=1)
    _tracked(goods, count, days_ago=12)
    mishaps(settings)
    return list(LogisticsCase.objects.order_by("pk"))


@pytest.mark.parametrize("count", [2, 12])
def test_operators_work_exception_cases_in_bounded_queries(
    client, operator, goods, settings, count, django_assert_max_num_queries
):
    cases = _cases(goods, settings, count)
    assert len(cases) == count
    client.force_login(operator)
    url = reverse("admin:orders_logisticscase_changelist")
    with django_assert_max_num_queries(12):
        listed = client.get(url, {"status__exact": "open"})
    assert listed.context["cl"].result_count == count
    assert cases[0].shipment.number in listed.content.decode()
    actions = dict(listed.context["action_form"].fields["action"].choices)
    assert {"reship", "refund", "claim", "close"} <= set(actions)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:orders_logisticscase_change", args=[cases[0].pk]))
    assert page.status_code == 200

    form = client.post(url, {"action": "claim", ACTION_CHECKBOX_NAME: [cases[0].pk]})
    assert 'name="resolution"' in form.content.decode() and 'name="amount"' in form.content.decode()
    missing = client.post(
        url, {"action": "claim", ACTION_CHECKBOX_NAME: [cases[0].pk], "apply": "1"}
    )
    assert missing.status_code == 200 and missing.context["form"].errors
    client.post(
        url,
        {
            "action": "claim",
            ACTION_CHECKBOX_NAME: [cases[0].pk],
            "apply": "1",
            "resolution": "快递丢件，索赔",
            "amount": "40.00",
        },
    )
    client.post(
        url,
        {
            "action": "reship",
            ACTION_CHECKBOX_NAME: [cases[1].pk],
            "apply": "1",
            "resolution": "补发",
            "cost": "",
            "claim_amount": "",
        },
    )
    statuses = dict(LogisticsCase.objects.values_list("pk", "status"))
    assert statuses[cases[0].pk] == "claimed" and statuses[cases[1].pk] == "reshipped"
    claimed = LogisticsCase.objects.get(pk=cases[0].pk)
    assert (str(claimed.recovered), claimed.resolved_by) == ("40.00", operator)
    assert (
        client.post(reverse("admin:orders_logisticscase_change", args=[cases[0].pk])).status_code
        == 403
    )


def test_the_warehouse_does_not_see_exception_cases_and_resolving_needs_the_permission(
    client, clerk, goods, settings
):
    [case] = _cases(goods, settings, 1)
    client.force_login(clerk)
    assert client.get(reverse("admin:orders_logisticscase_changelist")).status_code == 403
    assert client.get(reverse("admin:analytics_carrier_scorecard")).status_code == 403
    analyst = UserFactory(roles=["analyst"])
    client.force_login(analyst)
    listed = client.get(reverse("admin:orders_logisticscase_changelist"))
    assert listed.status_code == 200
    assert listed.context["action_form"] is None  # analysts read, operators resolve
    client.post(
        reverse("admin:orders_logisticscase_changelist"),
        {"action": "close", ACTION_CHECKBOX_NAME: [case.pk], "apply": "1", "resolution": "x"},
    )
    case.refresh_from_db()
    assert case.status == LogisticsCase.Status.OPEN


@pytest.mark.parametrize("count", [2, 12])
def test_the_scorecard_page_and_csv_run_a_fixed_number_of_queries(
    client, goods, settings, count, django_assert_max_num_queries
):
    _tracked(goods, count)
    _cases(goods, settings, 1)
    client.force_login(UserFactory(roles=["analyst"]))
    url = reverse("admin:analytics_carrier_scorecard")
    index = client.get(reverse("admin:index")).content.decode()
    assert url in index and "Carrier scorecard" in index
    with django_assert_max_num_queries(6):
        page = client.get(url)
    assert page.status_code == 200
    [row] = page.context["table"]
    assert row[2] == count + 1 and row[3] == count and row[8] == 1
    with django_assert_max_num_queries(6):
        download = client.get(url, {"format": "csv"})
    text = download.content.decode("utf-8-sig")
    assert download["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("carrier,month,shipments")
    assert len(text.splitlines()) == 2
    month = timezone.localtime(Shipment.objects.first().shipped_at).strftime("%Y-%m")
    filtered = client.get(url, {"filtered": "1", "since": month, "until": month, "carrier": ""})
    assert len(filtered.context["table"]) == 1
    wrong = client.get(url, {"filtered": "1", "since": "2026-05", "until": "2026-01"})
    assert wrong.status_code == 200 and wrong.context["form"].errors


# --- The shopper's order page and API ---------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_order_page_shows_each_parcel_with_its_tracking_newest_first(
    client, goods, django_assert_max_num_queries
):
    tea, cup = goods
    shopper = UserFactory()
    # One parcel just collected, and two parcels (two warehouses) tracked to delivery.
    small = paid_order([(tea, 1)], user=shopper)
    ship_all(small, now=timezone.now() - 8 * HOUR)
    large = paid_order([(tea, 1), (cup, 1)], user=shopper)
    ship_all(large, now=timezone.now() - 6 * DAY)
    logistics.poll_shipments()
    small_events = TrackingEvent.objects.filter(shipment__order=small).count()
    large_events = TrackingEvent.objects.filter(shipment__order=large).count()
    assert 0 < small_events <= 2 and large_events >= 8
    assert large.shipments.filter(status=Shipment.Status.DELIVERED).count() == 2
    client.force_login(shopper)
    page_url = {
        order: reverse("orders:order_detail", args=[order.number]) for order in (small, large)
    }
    api_url = {order: f"/api/v1/orders/{order.number}/" for order in (small, large)}

    for order in (small, large):
        with django_assert_max_num_queries(11):
            page = client.get(page_url[order])
        body = page.content.decode()
        assert 'id="shipments"' in body and "Sandbox Express" in body
        assert body.count('class="tracking-number"') == order.shipments.count()
        section = body.split('id="shipments"')[1].split("</section>")[0]
        tracked = TrackingEvent.objects.filter(shipment__order=order).count()
        assert section.count("<li><time") == tracked
        for shipment in order.shipments.all():
            assert shipment.tracking_number in body and f'id="shipment-{shipment.number}"' in body
            events = list(shipment.events.order_by("-occurred_at", "-pk"))
            assert events
            positions = [
                body.index(event.description, body.index(shipment.number)) for event in events[:2]
            ]
            assert positions == sorted(positions)  # newest first
    assert _queries(client, page_url[small]) == _queries(client, page_url[large])

    with django_assert_max_num_queries(10):  # with the order's discounts by source
        api = client.get(api_url[large])
    parcels = api.json()["shipments"]
    assert len(parcels) == 2 and parcels[0]["carrier"] == "sandbox"
    assert parcels[0]["events"][0]["occurred_at"] >= parcels[0]["events"][-1]["occurred_at"]
    assert set(parcels[0]) >= {"number", "status", "tracking_number", "estimated_delivery"}
    assert sum(len(parcel["events"]) for parcel in parcels) == large_events
    assert len(client.get(api_url[small]).json()["shipments"][0]["events"]) == small_events
    assert _queries(client, api_url[small]) == _queries(client, api_url[large])


def test_a_parcel_still_in_the_warehouse_shows_without_tracking(client, goods):
    tea, _cup = goods
    order = paid_order([(tea, 1)])
    [shipment] = fulfilment.allocate_order(order=order)
    client.force_login(order.user)
    body = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "Being picked and packed in our warehouse." in body
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILMENT
    # The parcel is listed, with no tracking number and no tracking events yet.
    assert f'id="shipment-{shipment.number}"' in body
    assert "tracking-number" not in body and 'class="timeline tracking"' not in body
    [parcel] = client.get(f"/api/v1/orders/{order.number}/").json()["shipments"]
    assert (parcel["number"], parcel["tracking_number"], parcel["events"]) == (
        shipment.number,
        "",
        [],
    )
