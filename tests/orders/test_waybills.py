"""Waybills: a PDF label per parcel with a Code 128 barcode of its tracking number (the
shipment number before hand-over), and a batch for a warehouse's pick list; warehouse
staff only."""

import base64
import re
import zlib

import pytest
from django.urls import reverse

from orders.models import Shipment
from orders.services import fulfilment
from tests.customers.factories import UserFactory
from tests.orders.fulfilment_helpers import calm_carrier, paid_order, ship_all, two_warehouse_goods

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calm(settings):
    calm_carrier(settings)


def pdf_pages_and_text(data: bytes) -> tuple[int, str]:
    """Check the file is a whole PDF (header, every xref offset pointing at its object,
    trailer) and return its page count and the text of its content streams."""
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[start : start + 4] == b"xref"
    table = re.match(rb"xref\s+0 (\d+)\s+((?:\d{10} \d{5} [fn]\s+)+)", data[start:])
    entries = re.findall(rb"(\d{10}) \d{5} n", table.group(2))
    for number, offset in enumerate(entries, start=1):
        assert re.match(rb"%d 0 obj" % number, data[int(offset) :]), number
    pages = len(re.findall(rb"/Type /Page\b", data))
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        stream = stream.strip()
        if stream.endswith(b"~>"):  # reportlab's ASCII85 layer over Flate
            stream = base64.a85decode(
                stream if stream.startswith(b"<~") else b"<~" + stream, adobe=True
            )
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return pages, "\n".join(text)


@pytest.fixture
def clerk(db):
    return UserFactory(roles=["warehouse"])


def test_a_shipped_parcels_waybill_carries_its_tracking_number(client, clerk):
    tea, _cup = two_warehouse_goods()
    order = paid_order([(tea, 2)])
    [shipment] = ship_all(order)
    assert shipment.tracking_number
    client.force_login(clerk)
    response = client.get(reverse("admin:orders_shipment_waybill", args=[shipment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages, text = pdf_pages_and_text(response.content)
    assert pages == 1
    assert f"({shipment.tracking_number})" in text  # the barcode's human-readable line


def test_a_pick_list_prints_one_waybill_per_parcel(client, clerk, django_assert_max_num_queries):
    tea, cup = two_warehouse_goods()
    orders = [paid_order([(tea, 1), (cup, 1)]) for _ in range(3)]
    for order in orders:
        fulfilment.allocate_order(order=order)
    picking = Shipment.objects.filter(status=Shipment.Status.PICKING, warehouse__code="hz")
    assert picking.count() == 3
    client.force_login(clerk)
    url = reverse("admin:orders_shipment_pick_list_waybills", args=[picking[0].warehouse_id])
    client.get(reverse("admin:orders_shipment_pick_lists"))  # session and permissions warm
    with django_assert_max_num_queries(10):
        response = client.get(url)
    pages, text = pdf_pages_and_text(response.content)
    assert pages == 3
    for shipment in picking:
        assert f"({shipment.number})" in text  # not handed over: the shipment number
    pick_list = client.get(
        reverse("admin:orders_shipment_pick_list", args=[picking[0].warehouse_id])
    ).content.decode()
    assert url in pick_list


def test_only_warehouse_staff_print_waybills(client):
    tea, _cup = two_warehouse_goods()
    [shipment] = ship_all(paid_order([(tea, 1)]))
    urls = [
        reverse("admin:orders_shipment_waybill", args=[shipment.pk]),
        reverse("admin:orders_shipment_pick_list_waybills", args=[shipment.warehouse_id]),
    ]
    for role in ("support_agent", "operator", "analyst"):
        client.force_login(UserFactory(roles=[role]))
        for url in urls:
            assert client.get(url).status_code in (302, 403), (role, url)
