"""The inventory admin: adjusting and transferring stock through the services, who may do
what, refusals shown as form errors, reservations and discrepancies, bounded queries."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from catalog.models import Reservation, Stock, StockDiscrepancy, StockMovement
from catalog.services import inventory
from tests.catalog.factories import SKUFactory, WarehouseFactory
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:catalog_{name}", args=args)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def east(db):
    return WarehouseFactory(code="east", name="杭州东仓")


@pytest.fixture
def west(db):
    return WarehouseFactory(code="west", name="宁波西仓")


@pytest.fixture
def stock(east, operator):
    sku = SKUFactory(code="LJ-250")
    stock = inventory.receive_stock(sku=sku, warehouse=east, quantity=10, actor=operator)
    inventory.reserve(sku=sku, quantity=4, reference="ORDER-77")
    stock.refresh_from_db()
    return stock


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def clerk_client(client):
    client.force_login(UserFactory(roles=["warehouse"]))
    return client


def _ledger():
    return list(StockMovement.objects.values_list("stock_id", "kind", "quantity").order_by("pk"))


# --- Adjust ----------------------------------------------------------------------------------


def test_an_operator_adjusts_stock_with_a_reason(operator_client, operator, stock):
    page = operator_client.get(url("stock_adjust", stock.pk))
    assert page.status_code == 200
    assert "10 on hand, 4 reserved" in page.content.decode()

    response = operator_client.post(
        url("stock_adjust", stock.pk), {"quantity": "-2", "reason": "破损两件"}
    )

    assert response.status_code == 302
    assert response.url == url("stock_change", stock.pk)
    assert messages_of(response) == ["Stock adjusted by -2."]
    stock.refresh_from_db()
    assert stock.on_hand == 8
    movement = StockMovement.objects.latest("pk")
    assert (movement.kind, movement.quantity, movement.reason, movement.actor) == (
        "adjustment",
        -2,
        "破损两件",
        operator,
    )


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"quantity": "-1", "reason": ""}, "This field is required."),
        ({"quantity": "-1", "reason": "   "}, "This field is required."),
        ({"quantity": "0", "reason": "recount"}, "An adjustment must change the stock."),
        ({"quantity": "x", "reason": "recount"}, "Enter a whole number."),
        # 10 on hand, 4 reserved: the service refuses taking 7; the form says why.
        (
            {"quantity": "-7", "reason": "lost"},
            "Only 6 unit(s) are free in this stock; the others are reserved for orders.",
        ),
    ],
)
def test_a_refused_adjustment_is_shown_on_the_form_and_changes_nothing(
    operator_client, stock, data, error
):
    before = _ledger()
    response = operator_client.post(url("stock_adjust", stock.pk), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert _ledger() == before
    assert Stock.objects.get(pk=stock.pk).on_hand == 10


def test_a_warehouse_clerk_may_not_adjust(clerk_client, stock):
    assert clerk_client.get(url("stock_adjust", stock.pk)).status_code == 403
    response = clerk_client.post(url("stock_adjust", stock.pk), {"quantity": "5", "reason": "x"})
    assert response.status_code == 403
    assert Stock.objects.get(pk=stock.pk).on_hand == 10


# --- Transfer --------------------------------------------------------------------------------


def test_an_operator_transfers_stock(operator_client, operator, stock, west):
    response = operator_client.post(
        url("stock_transfer", stock.pk),
        {"destination": west.pk, "quantity": "6", "reason": "补货宁波"},
    )
    assert response.status_code == 302
    assert messages_of(response) == ["6 unit(s) transferred to 宁波西仓."]
    target = Stock.objects.get(sku=stock.sku, warehouse=west)
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved, target.on_hand) == (4, 4, 6)
    out, into = StockMovement.objects.filter(reference__startswith="transfer ").order_by("pk")
    assert (out.kind, into.kind, out.reference == into.reference) == (
        "transfer_out",
        "transfer_in",
        True,
    )
    assert out.actor == into.actor == operator


def test_a_warehouse_clerk_transfers_and_sees_no_adjust_button(clerk_client, stock, west):
    page = clerk_client.get(url("stock_change", stock.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert url("stock_transfer", stock.pk) in html
    assert url("stock_adjust", stock.pk) not in html

    response = clerk_client.post(
        url("stock_transfer", stock.pk), {"destination": west.pk, "quantity": "1"}
    )
    assert response.status_code == 302
    assert Stock.objects.get(sku=stock.sku, warehouse=west).on_hand == 1


def test_refused_transfers_are_shown_on_the_form(operator_client, stock, west):
    closed = WarehouseFactory(code="closed", is_active=False)
    before = _ledger()
    cases = [
        (
            {"destination": west.pk, "quantity": "7"},
            "Only 6 unit(s) are free in this stock; the others are reserved for orders.",
        ),
        ({"destination": closed.pk, "quantity": "1"}, "Select a valid choice."),
        ({"destination": stock.warehouse_id, "quantity": "1"}, "Select a valid choice."),
        ({"destination": west.pk, "quantity": "0"}, "greater than or equal to 1"),
    ]
    for data, error in cases:
        response = operator_client.post(url("stock_transfer", stock.pk), data)
        assert response.status_code == 200, data
        assert error in response.content.decode(), data
    assert _ledger() == before
    assert not Stock.objects.filter(warehouse=west).exists()


def test_an_analyst_may_neither_adjust_nor_transfer(client, stock):
    client.force_login(UserFactory(roles=["analyst"]))
    assert client.get(url("stock_adjust", stock.pk)).status_code == 403
    assert client.get(url("stock_transfer", stock.pk)).status_code == 403


def test_an_unknown_stock_row_is_a_404(operator_client):
    assert operator_client.get(url("stock_adjust", 999999)).status_code == 404


# --- The stock page and its records --------------------------------------------------------


def test_the_stock_page_shows_the_frozen_flag_and_links_to_its_records(
    operator_client, stock, west, operator
):
    other = inventory.receive_stock(sku=stock.sku, warehouse=west, quantity=3, actor=operator)
    Stock.objects.filter(pk=stock.pk).update(frozen=True)
    page = operator_client.get(url("stock_change", stock.pk))
    html = page.content.decode()
    assert "frozen for a count" in html.lower()
    assert 'alt="True"' in html  # the boolean icon
    movements = f"{url('stockmovement_changelist')}?stock__id__exact={stock.pk}"
    reservations = f"{url('reservation_changelist')}?stock__id__exact={stock.pk}"
    assert movements in html and reservations in html
    assert url("stock_adjust", stock.pk) in html and url("stock_transfer", stock.pk) in html

    listed = operator_client.get(movements)
    assert {m.stock_id for m in listed.context["cl"].result_list} == {stock.pk}
    assert len(listed.context["cl"].result_list) == 2  # receipt and reservation
    held = operator_client.get(reservations)
    assert [r.reference for r in held.context["cl"].result_list] == ["ORDER-77"]
    assert other.pk not in {m.stock_id for m in listed.context["cl"].result_list}


def test_reservations_are_listed_read_only_and_found_by_reference(operator_client, stock):
    inventory.release(reservation=Reservation.objects.get(), reason="cancelled")
    inventory.reserve(sku=stock.sku, quantity=1, reference="ORDER-88")
    everything = operator_client.get(url("reservation_changelist"))
    assert everything.status_code == 200
    assert len(everything.context["cl"].result_list) == 2
    found = operator_client.get(url("reservation_changelist"), {"q": "ORDER-88"})
    assert [r.reference for r in found.context["cl"].result_list] == ["ORDER-88"]
    still_open = operator_client.get(url("reservation_changelist"), {"status__exact": "open"})
    assert [r.reference for r in still_open.context["cl"].result_list] == ["ORDER-88"]
    assert operator_client.get(url("reservation_add")).status_code == 403
    reservation = Reservation.objects.get(reference="ORDER-88")
    detail = operator_client.get(url("reservation_change", reservation.pk))
    assert detail.status_code == 200
    assert detail.context["has_change_permission"] is False


# --- Discrepancies ---------------------------------------------------------------------------


@pytest.fixture
def findings(stock, west, operator):
    """An old resolved finding and two open ones (the stock rows hand-edited)."""
    other = inventory.receive_stock(sku=stock.sku, warehouse=west, quantity=2, actor=operator)
    Stock.objects.filter(pk=other.pk).update(on_hand=1)
    inventory.reconcile_stock()
    inventory.resolve_discrepancy(
        discrepancy=StockDiscrepancy.objects.get(), actor=operator, resolution="old, explained"
    )
    Stock.objects.filter(pk=stock.pk).update(on_hand=12, reserved=5)
    inventory.reconcile_stock()
    return StockDiscrepancy.objects.filter(stock=stock)


def test_open_discrepancies_are_listed_first_with_their_figures(operator_client, findings):
    response = operator_client.get(url("stockdiscrepancy_changelist"))
    rows = list(response.context["cl"].result_list)
    assert [row.resolved_at is None for row in rows] == [True, True, True, False]
    html = response.content.decode()
    assert "+2" in html  # on hand 12 against a ledger of 10
    only_open = operator_client.get(url("stockdiscrepancy_changelist"), {"state": "open"})
    assert len(only_open.context["cl"].result_list) == 3
    resolved = operator_client.get(url("stockdiscrepancy_changelist"), {"state": "resolved"})
    assert [d.resolution for d in resolved.context["cl"].result_list] == ["old, explained"]
    assert operator_client.get(url("stockdiscrepancy_add")).status_code == 403


def test_an_operator_resolves_a_discrepancy_with_an_explanation(
    operator_client, operator, findings
):
    finding = findings.get(kind="on_hand")
    listed = operator_client.get(url("stockdiscrepancy_changelist")).content.decode()
    assert url("stockdiscrepancy_resolve", finding.pk) in listed

    empty = operator_client.post(url("stockdiscrepancy_resolve", finding.pk), {"resolution": " "})
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()

    done = operator_client.post(
        url("stockdiscrepancy_resolve", finding.pk),
        {"resolution": "盘点确认 12 件，差异为手工改库存"},
    )
    assert done.status_code == 302
    assert messages_of(done) == ["The discrepancy is resolved."]
    finding.refresh_from_db()
    assert (finding.resolved_by, finding.resolution) == (
        operator,
        "盘点确认 12 件，差异为手工改库存",
    )
    assert Stock.objects.get(pk=finding.stock_id).on_hand == 12  # resolving changes no stock

    again = operator_client.post(
        url("stockdiscrepancy_resolve", finding.pk), {"resolution": "twice"}
    )
    assert "This discrepancy is already resolved." in again.content.decode()


def test_the_resolve_form_can_book_the_missing_movement(operator_client, operator, findings):
    finding = findings.get(kind="on_hand")
    done = operator_client.post(
        url("stockdiscrepancy_resolve", finding.pk),
        {"resolution": "盘点确认 12 件，入库漏记 2 件", "book_difference": "on"},
    )
    assert done.status_code == 302
    booked = StockMovement.objects.get(reference=f"discrepancy {finding.pk}")
    assert (booked.quantity, booked.actor, booked.reason) == (
        2,
        operator,
        "盘点确认 12 件，入库漏记 2 件",
    )
    assert Stock.objects.get(pk=finding.stock_id).on_hand == 12
    reservations = findings.get(kind="reservations")
    refused = operator_client.post(
        url("stockdiscrepancy_resolve", reservations.pk),
        {"resolution": "x", "book_difference": "on"},
    )
    assert refused.status_code == 200
    assert "Only a ledger difference can be booked" in refused.content.decode()


def test_a_warehouse_clerk_sees_discrepancies_but_may_not_resolve(clerk_client, findings):
    finding = findings.first()
    listed = clerk_client.get(url("stockdiscrepancy_changelist"))
    assert listed.status_code == 200
    assert url("stockdiscrepancy_resolve", finding.pk) not in listed.content.decode()
    response = clerk_client.post(
        url("stockdiscrepancy_resolve", finding.pk), {"resolution": "not mine to say"}
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.resolved_at is None


# --- Query counts ----------------------------------------------------------------------------


def _many_rows(count, operator):
    warehouses = [WarehouseFactory(code=f"q-{n}") for n in range(3)]
    for n in range(count):
        sku = SKUFactory()
        warehouse = warehouses[n % 3]
        stock = inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=5, actor=operator)
        inventory.reserve(sku=sku, quantity=1, reference=f"ORDER-{n}")
        Stock.objects.filter(pk=stock.pk).update(on_hand=7)
    inventory.reconcile_stock(now=timezone.now())


@pytest.mark.parametrize(
    "page",
    ["stock_changelist", "reservation_changelist", "stockdiscrepancy_changelist"],
)
def test_inventory_pages_run_a_fixed_number_of_queries(
    operator_client, operator, django_assert_max_num_queries, page
):
    _many_rows(30, operator)
    with django_assert_max_num_queries(12):
        response = operator_client.get(url(page))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30


def test_the_stock_and_form_pages_run_a_fixed_number_of_queries(
    operator_client, stock, django_assert_max_num_queries
):
    for name in ("stock_change", "stock_adjust", "stock_transfer"):
        with django_assert_max_num_queries(12):
            assert operator_client.get(url(name, stock.pk)).status_code == 200
