"""Stocktakes (盘点): what each scope counts, freezing, blind counting at the book quantity
of the moment, all-or-nothing approval that keeps the ledger summing, the refusals, the
back-office pages and the phone counting page with bounded query counts."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.urls import reverse

from catalog.exceptions import InsufficientStock
from catalog.models import (
    PurchaseReceipt,
    PurchaseReceiptLine,
    Stock,
    StockMovement,
    Stocktake,
    StocktakeLine,
    StocktakeStatusChange,
)
from catalog.selectors import stocktake as selectors
from catalog.services import inventory
from catalog.services import stocktake as stocktakes
from mall.statemachine import IllegalTransition
from tests.catalog.factories import (
    CategoryFactory,
    SKUFactory,
    StockFactory,
    WarehouseFactory,
    make_listed_product,
    tea_categories,
)
from tests.concurrency import race
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL, CATEGORY, SAMPLE, _CYCLE = Stocktake.Scope.values


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="hz", name="杭州仓")


@pytest.fixture
def counter(db):
    return UserFactory(roles=["warehouse"])


@pytest.fixture
def manager(db):
    """A second operator: approves counts that others entered."""
    return UserFactory(roles=["operator"])


def _stock(warehouse, on_hand, **sku_fields):
    sku = SKUFactory(**sku_fields)
    if not on_hand:  # an empty shelf: a stock row with no movements (its ledger sums to 0)
        return Stock.objects.create(sku=sku, warehouse=warehouse)
    return StockFactory(sku=sku, warehouse=warehouse, on_hand=on_hand)


def _ledger_matches(stock_id):
    stock = Stock.objects.get(pk=stock_id)
    sums = StockMovement.objects.filter(stock=stock).aggregate(
        on_hand=Sum("quantity"), reserved=Sum("reserved_change")
    )
    return sums["on_hand"] == stock.on_hand and (sums["reserved"] or 0) == stock.reserved


def _open(warehouse, actor, scope=ALL, **kwargs):
    return stocktakes.open_stocktake(warehouse=warehouse, scope=scope, actor=actor, **kwargs)


def _count_all(stocktake, counter, counts: dict):
    """``counts`` maps a stock row to its counted units."""
    for line in stocktake.lines.all():
        stocktakes.record_count(line=line, counted=counts[line.stock], actor=counter)


def _line(stocktake, stock):
    return stocktake.lines.get(stock=stock)


def _cost(sku, unit_cost, warehouse):
    """A purchase receipt line: the latest one gives the SKU's unit cost."""
    receipt = PurchaseReceipt.objects.create(
        supplier=sku.product.supplier, warehouse=warehouse, received_by=UserFactory()
    )
    PurchaseReceiptLine.objects.create(
        receipt=receipt, sku=sku, quantity=1, unit_cost=Decimal(unit_cost)
    )


# --- Opening: what each scope counts -----------------------------------------------------


def test_a_count_of_all_goods_has_a_line_per_stock_row_at_its_on_hand(warehouse, operator):
    a, b = _stock(warehouse, 10), _stock(warehouse, 0)
    _stock(WarehouseFactory(code="elsewhere"), 5)  # another warehouse's shelves

    stocktake = _open(warehouse, operator, note="年中盘点")

    lines = {line.stock_id: line for line in stocktake.lines.all()}
    assert set(lines) == {a.pk, b.pk}
    assert (lines[a.pk].expected, lines[b.pk].expected) == (10, 0)
    assert all(line.counted is None for line in lines.values())
    assert (stocktake.status, stocktake.opened_by, stocktake.note) == (
        "counting",
        operator,
        "年中盘点",
    )
    opening = stocktake.history.get()
    assert (opening.transition, opening.from_state, opening.to_state, opening.actor) == (
        "open",
        "",
        "counting",
        operator,
    )


def test_a_category_count_takes_the_category_and_everything_below_it(warehouse, operator):
    tea = tea_categories()
    green = tea.children.get()
    hidden = CategoryFactory(parent=green, is_active=False)  # hidden online, still on a shelf
    in_scope = [
        make_listed_product(category=category, warehouse=warehouse).skus.get().stocks.get()
        for category in (tea, green, hidden)
    ]
    make_listed_product(category=tea.parent, warehouse=warehouse)  # the parent: not counted
    make_listed_product(category=CategoryFactory(), warehouse=warehouse)

    stocktake = _open(warehouse, operator, CATEGORY, category=tea)

    assert {line.stock_id for line in stocktake.lines.all()} == {s.pk for s in in_scope}
    assert stocktake.category == tea


@pytest.mark.parametrize(("size", "stocked", "empty"), [(3, 3, 0), (6, 4, 2), (50, 4, 3)])
def test_a_sample_has_its_size_and_prefers_rows_with_goods(
    warehouse, operator, size, stocked, empty
):
    with_goods = {_stock(warehouse, 5).pk for _ in range(4)}
    without = {_stock(warehouse, 0).pk for _ in range(3)}

    stocktake = _open(warehouse, operator, SAMPLE, sample_size=size)

    counted = {line.stock_id for line in stocktake.lines.all()}
    assert len(counted & with_goods) == stocked
    assert len(counted & without) == empty
    assert stocktake.sample_size == size


def test_samples_are_random(warehouse, operator):
    for _ in range(12):
        _stock(warehouse, 5)
    seen = set()
    for _ in range(6):  # 6 samples of 2 from 12 rows are all alike with odds (1/66)^5
        stocktake = _open(warehouse, operator, SAMPLE, sample_size=2)
        seen.add(frozenset(stocktake.lines.values_list("stock_id", flat=True)))
        stocktakes.cancel_stocktake(stocktake=stocktake, actor=operator, reason="test")
    assert len(seen) > 1


@pytest.mark.parametrize(
    ("scope", "kwargs", "message"),
    [
        ("everything", {}, "Choose what to count"),
        (CATEGORY, {}, "Choose the category"),
        (ALL, {"sample_size": 3}, "only given for a random sample"),
        (SAMPLE, {}, "number of stock rows"),
        (SAMPLE, {"sample_size": 0}, "number of stock rows"),
        (SAMPLE, {"sample_size": "3"}, "number of stock rows"),
    ],
)
def test_scope_arguments_that_do_not_fit_are_refused(warehouse, operator, scope, kwargs, message):
    _stock(warehouse, 5)
    with pytest.raises(stocktakes.StocktakeRefused, match=message):
        _open(warehouse, operator, scope, **kwargs)
    assert not Stocktake.objects.exists()


def test_a_category_outside_a_category_count_is_refused(warehouse, operator):
    _stock(warehouse, 5)
    with pytest.raises(stocktakes.StocktakeRefused, match="only chosen when counting one"):
        _open(warehouse, operator, ALL, category=CategoryFactory())
    assert not Stocktake.objects.exists()


def test_an_inactive_warehouse_or_an_empty_scope_is_refused(warehouse, operator):
    with pytest.raises(stocktakes.StocktakeRefused, match="Nothing to count"):
        _open(warehouse, operator)
    _stock(warehouse, 5)
    with pytest.raises(stocktakes.StocktakeRefused, match="Nothing to count"):
        _open(warehouse, operator, CATEGORY, category=CategoryFactory())
    closed = WarehouseFactory(code="closed", is_active=False)
    _stock(closed, 5)
    with pytest.raises(stocktakes.StocktakeRefused, match="not active"):
        _open(closed, operator)
    assert not Stocktake.objects.exists()
    assert not StocktakeLine.objects.exists()
    assert not StocktakeStatusChange.objects.exists()


def test_a_second_count_in_the_same_warehouse_waits_for_the_first(warehouse, operator):
    stock = _stock(warehouse, 5)
    first = _open(warehouse, operator, freeze=True)
    with pytest.raises(stocktakes.CountAlreadyActive) as refused:
        _open(warehouse, operator, freeze=False)
    assert f"number {first.pk}" in str(refused.value)
    assert Stocktake.objects.get() == first
    assert StocktakeLine.objects.count() == 1 and StocktakeStatusChange.objects.count() == 1

    stocktakes.cancel_stocktake(stocktake=first, actor=operator, reason="wrong day")
    second = _open(warehouse, operator)
    assert second.lines.get().stock_id == stock.pk


@pytest.mark.django_db(transaction=True)
def test_two_operators_opening_at_once_get_one_count(warehouse, operator, manager):
    _stock(warehouse, 5)
    actors = (operator, manager)
    opened, refused = race(lambda i: _open(warehouse, actors[i]).pk, len(actors))
    # Anything but "a count is already active" is a bug this test must show.
    assert all(isinstance(error, stocktakes.CountAlreadyActive) for error in refused), refused
    assert len(opened) == 1 and len(refused) == 1
    assert Stocktake.objects.count() == 1 and StocktakeLine.objects.count() == 1


# --- Freezing ------------------------------------------------------------------------------


def test_a_freezing_count_stops_sales_until_it_is_approved(warehouse, operator, manager, counter):
    stock = _stock(warehouse, 5)
    sku = stock.sku
    _stock(warehouse, 5)  # another SKU, counted too
    stocktake = _open(warehouse, operator, freeze=True)

    assert Stock.objects.filter(warehouse=warehouse, frozen=True).count() == 2
    assert inventory.available_units(sku) == 0
    with pytest.raises(InsufficientStock):
        inventory.reserve(sku=sku, quantity=1)

    _count_all(stocktake, counter, {s: s.on_hand for s in Stock.objects.all()})
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)
    stocktakes.approve_stocktake(stocktake=stocktake, actor=manager)

    assert not Stock.objects.filter(frozen=True).exists()
    assert inventory.available_units(sku) == 5
    assert [r.stock_id for r in inventory.reserve(sku=sku, quantity=1)] == [stock.pk]


def test_cancelling_a_freezing_count_unfreezes(warehouse, operator):
    stock = _stock(warehouse, 5)
    stocktake = _open(warehouse, operator, freeze=True)
    stocktakes.cancel_stocktake(stocktake=stocktake, actor=operator, reason="counted the wrong day")
    stock.refresh_from_db()
    assert not stock.frozen
    assert inventory.available_units(stock.sku) == 5
    assert stocktake.history.last().reason == "counted the wrong day"


def test_without_freezing_goods_stay_on_sale(warehouse, operator):
    stock = _stock(warehouse, 5)
    _open(warehouse, operator)
    assert not Stock.objects.filter(frozen=True).exists()
    assert [r.stock_id for r in inventory.reserve(sku=stock.sku, quantity=2)] == [stock.pk]


def test_a_frozen_row_of_another_warehouse_is_not_touched(warehouse, operator):
    other = _stock(WarehouseFactory(code="sh"), 4)
    _stock(warehouse, 5)
    stocktake = _open(warehouse, operator, freeze=True)
    stocktakes.cancel_stocktake(stocktake=stocktake, actor=operator, reason="test")
    other.refresh_from_db()
    assert not other.frozen


# --- Counting ------------------------------------------------------------------------------


def test_a_count_is_compared_with_the_book_quantity_when_it_is_entered(
    warehouse, operator, counter
):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)  # not frozen: selling goes on
    [sold] = inventory.reserve(sku=stock.sku, quantity=3)
    inventory.consume(reservation=sold)  # on hand 7 when the counter reaches the shelf

    line = stocktakes.record_count(line=_line(stocktake, stock), counted=7, actor=counter)

    line.refresh_from_db()
    assert (line.expected, line.counted, line.variance) == (7, 7, 0)
    assert line.counted_by == counter and line.counted_at is not None


def test_entering_a_line_again_overwrites_it(warehouse, operator, counter, manager):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    line = _line(stocktake, stock)
    stocktakes.record_count(line=line, counted=4, actor=counter)
    stocktakes.record_count(line=line, counted=9, actor=manager)
    line.refresh_from_db()
    assert (line.counted, line.counted_by) == (9, manager)


@pytest.mark.parametrize("counted", [-1, 2.5, "3", None, True])
def test_a_count_must_be_a_whole_number_from_zero(warehouse, operator, counter, counted):
    _stock(warehouse, 3)
    line = _open(warehouse, operator).lines.get()
    with pytest.raises(stocktakes.StocktakeRefused, match="whole number"):
        stocktakes.record_count(line=line, counted=counted, actor=counter)
    line.refresh_from_db()
    assert line.counted is None and line.counted_by is None


def test_counts_are_only_entered_while_counting(warehouse, operator, counter):
    stock = _stock(warehouse, 3)
    stocktake = _open(warehouse, operator)
    line = _line(stocktake, stock)
    stocktakes.record_count(line=line, counted=3, actor=counter)
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)
    with pytest.raises(stocktakes.StocktakeRefused, match="Awaiting approval"):
        stocktakes.record_count(line=line, counted=1, actor=counter)
    line.refresh_from_db()
    assert line.counted == 3


# --- Submitting, sending back, approving ----------------------------------------------------


def test_submitting_is_refused_while_lines_are_uncounted(warehouse, operator, counter):
    first = _stock(warehouse, 3)
    _stock(warehouse, 3)
    _stock(warehouse, 3)
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, first), counted=3, actor=counter)

    with pytest.raises(stocktakes.UncountedLines, match="2 line") as refused:
        stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)

    assert refused.value.uncounted == 2
    stocktake.refresh_from_db()
    assert stocktake.status == "counting"
    assert stocktake.history.count() == 1


def test_approval_posts_gains_and_losses_and_the_ledger_still_adds_up(
    warehouse, operator, counter, manager
):
    gained, lost, exact = _stock(warehouse, 10), _stock(warehouse, 8), _stock(warehouse, 4)
    stocktake = _open(warehouse, operator)
    _count_all(stocktake, counter, {gained: 12, lost: 5, exact: 4})
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)

    stocktakes.approve_stocktake(stocktake=stocktake, actor=manager)

    for stock, on_hand in ((gained, 12), (lost, 5), (exact, 4)):
        stock.refresh_from_db()
        assert stock.on_hand == on_hand
        assert _ledger_matches(stock.pk)
    posted = StockMovement.objects.filter(reference=f"stocktake {stocktake.pk}")
    assert sorted(posted.values_list("stock_id", "kind", "quantity", "actor_id")) == sorted(
        [
            (gained.pk, "stocktake_gain", 2, manager.pk),
            (lost.pk, "stocktake_loss", -3, manager.pk),
        ]
    )
    stocktake.refresh_from_db()
    assert (stocktake.status, stocktake.approved_by) == ("approved", manager)
    assert list(stocktake.history.values_list("transition", "actor_id")) == [
        ("open", operator.pk),
        ("submit", counter.pk),
        ("approve", manager.pk),
    ]


def test_whoever_counted_may_not_approve(warehouse, operator, counter):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, stock), counted=6, actor=operator)
    stocktakes.submit_stocktake(stocktake=stocktake, actor=operator)

    with pytest.raises(stocktakes.ApprovalNotAllowed, match="another manager"):
        stocktakes.approve_stocktake(stocktake=stocktake, actor=operator)

    stock.refresh_from_db()
    stocktake.refresh_from_db()
    assert (stock.on_hand, stocktake.status, stocktake.approved_by) == (10, "submitted", None)
    assert not StockMovement.objects.filter(kind="stocktake_loss").exists()


def test_approving_needs_the_permission(warehouse, operator, counter):
    clerk = UserFactory(roles=["warehouse"])  # counts and submits, does not approve
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, stock), counted=6, actor=counter)
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)

    for actor in (clerk, None):
        with pytest.raises(stocktakes.ApprovalNotAllowed, match="not allowed"):
            stocktakes.approve_stocktake(stocktake=stocktake, actor=actor)

    stocktake.refresh_from_db()
    assert stocktake.status == "submitted"
    assert not StockMovement.objects.filter(kind="stocktake_loss").exists()


def test_a_loss_into_reserved_units_refuses_the_whole_approval(
    warehouse, operator, counter, manager
):
    gained = _stock(warehouse, 3, code="AA-GAIN")
    short = _stock(warehouse, 10, code="ZZ-SHORT")  # posted after the gain, in stock order
    stocktake = _open(warehouse, operator)
    _count_all(stocktake, counter, {gained: 7, short: 2})
    inventory.reserve(sku=short.sku, quantity=9)  # orders hold 9 of the 10 on the books
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)

    with pytest.raises(stocktakes.LossIntoReserved) as refused:
        stocktakes.approve_stocktake(stocktake=stocktake, actor=manager)

    assert str(short.sku) in str(refused.value) and "8 unit" in str(refused.value)
    assert refused.value.sku == short.sku
    for stock, on_hand in ((gained, 3), (short, 10)):
        stock.refresh_from_db()
        assert stock.on_hand == on_hand and _ledger_matches(stock.pk)
    assert not StockMovement.objects.filter(reference=f"stocktake {stocktake.pk}").exists()
    stocktake.refresh_from_db()
    assert (stocktake.status, stocktake.approved_by) == ("submitted", None)
    assert stocktake.history.count() == 2


def test_a_count_sent_back_is_counted_again_and_then_approved(
    warehouse, operator, counter, manager
):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    line = _line(stocktake, stock)
    stocktakes.record_count(line=line, counted=1, actor=counter)
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)

    with pytest.raises(stocktakes.StocktakeRefused, match="Give a reason"):
        stocktakes.send_back_for_recount(stocktake=stocktake, actor=manager, reason="  ")
    stocktakes.send_back_for_recount(stocktake=stocktake, actor=manager, reason="9 missing?")
    stocktakes.record_count(line=line, counted=10, actor=counter)
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)
    stocktakes.approve_stocktake(stocktake=stocktake, actor=manager)

    stock.refresh_from_db()
    assert stock.on_hand == 10
    assert not StockMovement.objects.filter(reference=f"stocktake {stocktake.pk}").exists()
    assert list(stocktake.history.values_list("transition", "reason")) == [
        ("open", ""),
        ("submit", ""),
        ("recount", "9 missing?"),
        ("submit", ""),
        ("approve", ""),
    ]


def test_the_state_machine_refuses_what_does_not_fit(warehouse, operator, counter, manager):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator, freeze=True)
    with pytest.raises(IllegalTransition):
        stocktakes.approve_stocktake(stocktake=stocktake, actor=manager)
    with pytest.raises(IllegalTransition):
        stocktakes.send_back_for_recount(stocktake=stocktake, actor=manager, reason="why")
    with pytest.raises(stocktakes.StocktakeRefused, match="Give a reason"):
        stocktakes.cancel_stocktake(stocktake=stocktake, actor=manager, reason="")
    stocktakes.cancel_stocktake(stocktake=stocktake, actor=manager, reason="flood")
    with pytest.raises(IllegalTransition):
        stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)
    with pytest.raises(IllegalTransition):
        stocktakes.cancel_stocktake(stocktake=stocktake, actor=manager, reason="again")
    stock.refresh_from_db()
    assert not stock.frozen
    assert list(stocktake.history.values_list("transition", flat=True)) == ["open", "cancel"]


# --- Values and totals ---------------------------------------------------------------------


def test_variances_are_valued_at_the_latest_purchase_cost(warehouse, operator, counter):
    gained, lost, uncosted = _stock(warehouse, 10), _stock(warehouse, 10), _stock(warehouse, 10)
    _cost(gained.sku, "1.00", warehouse)
    _cost(gained.sku, "12.50", warehouse)  # the latest receipt sets the cost
    _cost(lost.sku, "3.20", warehouse)
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, gained), counted=12, actor=counter)
    stocktakes.record_count(line=_line(stocktake, lost), counted=7, actor=counter)

    lines = {line.stock_id: line for line in selectors.stocktake_lines(stocktake)}
    assert lines[gained.pk].unit_cost == Decimal("12.50")
    assert lines[gained.pk].variance_value == Decimal("25.00")
    assert lines[lost.pk].variance_value == Decimal("-9.60")
    assert lines[uncosted.pk].unit_cost is None and lines[uncosted.pk].variance_value is None

    totals = selectors.stocktake_totals(stocktake)
    assert (totals.lines, totals.counted, totals.uncounted) == (3, 2, 1)
    assert (totals.gain_units, totals.loss_units) == (2, 3)
    assert (totals.gain_value, totals.loss_value, totals.net_value) == (
        Decimal("25.00"),
        Decimal("9.60"),
        Decimal("15.40"),
    )
    assert totals.unvalued == 0
    stocktakes.record_count(line=_line(stocktake, uncosted), counted=11, actor=counter)
    assert selectors.stocktake_totals(stocktake).unvalued == 1

    listed = selectors.with_progress(Stocktake.objects.all()).get()
    assert (listed.line_count, listed.counted_count, listed.net_value) == (
        3,
        3,
        Decimal("15.40"),
    )


def test_an_empty_progress_is_zero_not_missing(warehouse, operator):
    _stock(warehouse, 1)
    _open(warehouse, operator)
    listed = selectors.active_stocktakes().get()
    assert (listed.line_count, listed.counted_count, listed.net_value) == (1, 0, None)
    totals = selectors.stocktake_totals(listed)
    assert (totals.gain_value, totals.loss_value, totals.net_value) == (0, 0, 0)


def test_reading_a_count_takes_the_same_queries_for_3_or_30_lines(
    warehouse, operator, counter, django_assert_num_queries
):
    def read(stocktake):
        with django_assert_num_queries(2):
            list(selectors.stocktake_lines(stocktake))
            selectors.stocktake_totals(stocktake)
        with django_assert_num_queries(1):
            list(selectors.with_progress(Stocktake.objects.all()))

    stocks = [_stock(warehouse, n) for n in range(30)]
    for stock in stocks[:3]:
        _cost(stock.sku, "2.00", warehouse)
    small = _open(warehouse, operator, SAMPLE, sample_size=3)
    _count_all(small, counter, {s: 1 for s in stocks})
    read(small)
    stocktakes.cancel_stocktake(stocktake=small, actor=operator, reason="test")
    big = _open(warehouse, operator)
    _count_all(big, counter, {s: 1 for s in stocks})
    read(big)


# --- Admin ---------------------------------------------------------------------------------


def admin_url(name, *args):
    return reverse(f"admin:catalog_stocktake_{name}", args=args)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def test_an_operator_opens_a_count_through_the_admin(operator_client, operator, warehouse):
    tea = tea_categories()
    counted = make_listed_product(category=tea, warehouse=warehouse).skus.get().stocks.get()
    make_listed_product(category=CategoryFactory(), warehouse=warehouse)
    assert operator_client.get(admin_url("add")).status_code == 200

    response = operator_client.post(
        admin_url("add"),
        {
            "warehouse": warehouse.pk,
            "scope": CATEGORY,
            "category": tea.pk,
            "sample_size": "5",  # left over from another choice: ignored, not an error
            "freeze": "on",
            "note": "茶叶月度盘点",
        },
    )

    stocktake = Stocktake.objects.get()
    assert response.status_code == 302 and response.url == admin_url("change", stocktake.pk)
    assert (stocktake.scope, stocktake.category, stocktake.sample_size) == (CATEGORY, tea, None)
    assert stocktake.freeze and stocktake.opened_by == operator
    assert stocktake.lines.get().stock_id == counted.pk
    counted.refresh_from_db()
    assert counted.frozen
    assert "1 line(s) to count" in messages_of(response)[-1]


def test_a_refused_opening_shows_the_reason_on_the_form(operator_client, operator, warehouse):
    _stock(warehouse, 3)
    _open(warehouse, operator)
    response = operator_client.post(admin_url("add"), {"warehouse": warehouse.pk, "scope": ALL})
    assert response.status_code == 200
    assert "already has a count in progress" in response.content.decode()
    assert Stocktake.objects.count() == 1


def test_the_change_page_enters_counts_and_shows_variances_with_their_value(
    operator_client, operator, warehouse
):
    gained, lost = _stock(warehouse, 10, code="A-1"), _stock(warehouse, 10, code="B-2")
    _cost(gained.sku, "4.00", warehouse)
    _cost(lost.sku, "2.50", warehouse)
    stocktake = _open(warehouse, operator)
    a, b = _line(stocktake, gained), _line(stocktake, lost)

    response = operator_client.post(
        admin_url("change", stocktake.pk),
        {f"count-{a.pk}": "13", f"count-{b.pk}": "x", "save_counts": "1"},
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "B-2: “x” is not a whole number 0 or more.",
        "1 count(s) saved.",
    ]
    operator_client.post(admin_url("change", stocktake.pk), {f"count-{b.pk}": "6"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.counted, a.counted_by, b.counted) == (13, operator, 6)

    page = operator_client.get(admin_url("change", stocktake.pk))
    assert page.status_code == 200
    totals = page.context["totals"]
    assert (totals.gain_value, totals.loss_value, totals.net_value) == (
        Decimal("12.00"),
        Decimal("10.00"),
        Decimal("2.00"),
    )
    html = page.content.decode()
    assert "+3" in html and "-4" in html and "12.00" in html
    assert [t.name for t in page.context["transitions"]] == ["submit", "cancel"]
    assert 'name="count-' in html


def test_the_buttons_move_the_count_and_report_refusals(operator_client, operator, warehouse):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    change = admin_url("change", stocktake.pk)

    response = operator_client.post(change, {"transition": "submit"})
    assert messages_of(response) == ["1 line(s) of this count have no counted quantity yet."]

    stocktakes.record_count(line=_line(stocktake, stock), counted=8, actor=operator)
    operator_client.post(change, {"transition": "submit"})
    response = operator_client.post(change, {"transition": "approve"})
    assert "another manager must approve" in messages_of(response)[-1]
    response = operator_client.post(change, {"transition": "recount", "reason": ""})
    assert "Give a reason" in messages_of(response)[-1]
    operator_client.post(change, {"transition": "recount", "reason": "count aisle 3 again"})
    stocktake.refresh_from_db()
    assert stocktake.status == "counting"
    assert stocktake.history.last().reason == "count aisle 3 again"
    page = operator_client.get(change)
    assert "count aisle 3 again" in page.content.decode()


def test_a_manager_approves_through_the_changelist_action(
    client, operator, manager, counter, warehouse
):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, stock), counted=7, actor=counter)
    stocktakes.submit_stocktake(stocktake=stocktake, actor=counter)
    client.force_login(manager)

    response = client.post(
        admin_url("changelist"), {"action": "approve", ACTION_CHECKBOX_NAME: [stocktake.pk]}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["1 count(s) approved; their variances were posted."]
    stock.refresh_from_db()
    assert stock.on_hand == 7 and _ledger_matches(stock.pk)


def test_counters_count_blind_in_the_admin_and_cannot_approve(client, counter, operator, warehouse):
    stock = _stock(warehouse, 10)
    stocktake = _open(warehouse, operator)
    client.force_login(counter)
    change = admin_url("change", stocktake.pk)

    line = _line(stocktake, stock)
    client.post(change, {f"count-{line.pk}": "9"})
    page = client.get(change)
    html = page.content.decode()
    assert page.status_code == 200 and not page.context["book_figures"]
    assert 'class="numeric expected"' not in html and "book quantity</th>" not in html
    assert [t.name for t in page.context["transitions"]] == ["submit"]

    client.post(change, {"transition": "submit"})
    assert client.post(change, {"transition": "approve"}).status_code == 403
    stocktake.refresh_from_db()
    assert stocktake.status == "submitted"
    line.refresh_from_db()
    assert (line.counted, line.counted_by) == (9, counter)


def test_the_stocktake_changelist_and_page_take_bounded_queries(
    operator_client, operator, counter, warehouse, django_assert_max_num_queries
):
    stocks = [_stock(warehouse, 5) for _ in range(30)]
    for stock in stocks:
        _cost(stock.sku, "1.00", warehouse)
    small = _open(warehouse, operator, SAMPLE, sample_size=3)
    _count_all(small, counter, {s: 4 for s in stocks})
    with django_assert_max_num_queries(12):
        small_list = operator_client.get(admin_url("changelist"))
    with django_assert_max_num_queries(12):
        operator_client.get(admin_url("change", small.pk))
    stocktakes.cancel_stocktake(stocktake=small, actor=operator, reason="test")
    big = _open(warehouse, operator)
    _count_all(big, counter, {s: 4 for s in stocks})
    with django_assert_max_num_queries(12):
        big_list = operator_client.get(admin_url("changelist"))
    with django_assert_max_num_queries(12):
        page = operator_client.get(admin_url("change", big.pk))
    assert "3/3" in small_list.content.decode() and "30/30" in big_list.content.decode()
    assert page.context["totals"].net_value == Decimal("-30.00")
    assert len(page.context["page"].object_list) == 30


# --- The phone counting page ---------------------------------------------------------------


@pytest.fixture
def counter_client(client, counter):
    client.force_login(counter)
    return client


def count_url(stocktake):
    return reverse("stocktake:count", args=[stocktake.pk])


@pytest.mark.parametrize("role", [None, "analyst", "support_agent"])
def test_only_counters_reach_the_counting_pages(client, warehouse, operator, role):
    _stock(warehouse, 3)
    stocktake = _open(warehouse, operator)
    client.force_login(UserFactory(roles=[role] if role else None))
    for url in (reverse("stocktake:list"), count_url(stocktake)):
        assert client.get(url).status_code == 403
    assert client.post(count_url(stocktake), {"line": "1", "counted": "1"}).status_code == 403
    post = client.post(reverse("stocktake:submit", args=[stocktake.pk]))
    assert post.status_code == 403
    assert not StocktakeLine.objects.filter(counted__isnull=False).exists()


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("stocktake:list"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_list_shows_counts_in_progress_with_their_progress(
    counter_client, operator, counter, warehouse
):
    first = _stock(warehouse, 3)
    _stock(warehouse, 3)
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, first), counted=3, actor=counter)
    other = WarehouseFactory(code="sz", name="深圳仓")
    _stock(other, 2)
    finished = _open(other, operator)
    stocktakes.cancel_stocktake(stocktake=finished, actor=operator, reason="test")

    html = counter_client.get(reverse("stocktake:list")).content.decode()

    assert "杭州仓" in html and "1 of 2 counted" in html
    assert "深圳仓" not in html


def test_the_counting_page_is_blind_and_puts_uncounted_lines_first(
    counter_client, operator, counter, warehouse
):
    done = _stock(warehouse, 77, code="AAA-1")
    todo = _stock(warehouse, 88, code="ZZZ-9", barcode="6901234567892")
    stocktake = _open(warehouse, operator)
    stocktakes.record_count(line=_line(stocktake, done), counted=76, actor=counter)

    response = counter_client.get(count_url(stocktake))
    html = response.content.decode()

    assert '<meta name="viewport"' in html
    assert [line.stock_id for line in response.context["page"]] == [todo.pk, done.pk]
    assert "6901234567892" in html and "76" in html
    # The book quantities are nowhere in the text (tags hold ids and the CSRF token).
    assert not re.search(r"\b(77|88)\b", re.sub(r"<[^>]*>", " ", html))
    assert 'value="77"' not in html and 'value="88"' not in html


@pytest.mark.parametrize("typed", ["6901234567892", "zzz-9", " ZZZ-9 "])
def test_finding_a_line_by_barcode_or_code(counter_client, operator, warehouse, typed):
    _stock(warehouse, 5, code="AAA-1")
    wanted = _stock(warehouse, 5, code="ZZZ-9", barcode="6901234567892")
    stocktake = _open(warehouse, operator)

    response = counter_client.get(count_url(stocktake), {"find": typed})

    assert [line.stock_id for line in response.context["page"]] == [wanted.pk]
    missing = counter_client.get(count_url(stocktake), {"find": "nothing-here"})
    assert list(missing.context["page"]) == []
    assert "No line of this count has the code or barcode" in missing.content.decode()


def test_saving_a_count_redirects_with_a_message(counter_client, operator, counter, warehouse):
    stock = _stock(warehouse, 5, code="TEA-250")
    stocktake = _open(warehouse, operator)
    line = _line(stocktake, stock)

    response = counter_client.post(count_url(stocktake), {"line": line.pk, "counted": "4"})

    assert response.status_code == 302 and response.url == count_url(stocktake)
    assert messages_of(response) == ["TEA-250: 4 counted."]
    line.refresh_from_db()
    assert (line.counted, line.counted_by, line.expected) == (4, counter, 5)

    bad = counter_client.post(count_url(stocktake), {"line": line.pk, "counted": "-2"})
    assert bad.status_code == 302 and "find=TEA-250" in bad.url
    assert "whole number" in messages_of(bad)[-1]
    line.refresh_from_db()
    assert line.counted == 4

    other = _stock(WarehouseFactory(code="bj"), 5)
    foreign = _open(other.warehouse, operator).lines.get()
    wrong = counter_client.post(count_url(stocktake), {"line": foreign.pk, "counted": "1"})
    assert wrong.status_code == 404  # a line of another count, posted to this one


def test_the_counting_page_is_csrf_protected(operator, counter, warehouse):
    from django.test import Client

    stock = _stock(warehouse, 5)
    stocktake = _open(warehouse, operator)
    client = Client(enforce_csrf_checks=True)
    client.force_login(counter)
    line = _line(stocktake, stock)
    assert client.post(count_url(stocktake), {"line": line.pk, "counted": "1"}).status_code == 403
    line.refresh_from_db()
    assert line.counted is None


def test_counts_and_submission_only_while_counting(counter_client, operator, counter, warehouse):
    stock = _stock(warehouse, 5)
    stocktake = _open(warehouse, operator)
    line = _line(stocktake, stock)
    submit = reverse("stocktake:submit", args=[stocktake.pk])

    refused = counter_client.post(submit)
    assert refused.url == count_url(stocktake)
    assert messages_of(refused) == ["1 line(s) of this count have no counted quantity yet."]

    counter_client.post(count_url(stocktake), {"line": line.pk, "counted": "5"})
    submitted = counter_client.post(submit)
    assert submitted.url == reverse("stocktake:list")
    stocktake.refresh_from_db()
    assert stocktake.status == "submitted"
    assert stocktake.history.last().actor == counter

    late = counter_client.post(count_url(stocktake), {"line": line.pk, "counted": "1"})
    assert "only be entered while counting" in messages_of(late)[-1]
    page = counter_client.get(count_url(stocktake)).content.decode()
    assert 'name="counted"' not in page and "no longer open for counting" in page
    assert counter_client.get(submit).status_code == 405


def test_the_counting_pages_take_the_same_queries_for_3_or_30_lines(
    counter_client, operator, counter, warehouse, django_assert_max_num_queries
):
    stocks = [_stock(warehouse, 5) for _ in range(30)]
    for size in (3, 30):
        stocktake = _open(warehouse, operator, SAMPLE, sample_size=size)
        stocktakes.record_count(line=stocktake.lines.first(), counted=1, actor=counter)
        with django_assert_max_num_queries(8):
            listed = counter_client.get(reverse("stocktake:list"))
        with django_assert_max_num_queries(8):
            page = counter_client.get(count_url(stocktake))
        last = stocktake.lines.last()
        with django_assert_max_num_queries(10):
            counter_client.post(count_url(stocktake), {"line": last.pk, "counted": "2"})
        last.refresh_from_db()
        assert last.counted == 2
        assert f"1 of {size} counted" in listed.content.decode()
        assert len(page.context["page"].object_list) == size
        stocktakes.cancel_stocktake(stocktake=stocktake, actor=operator, reason="test")
    assert len(stocks) == 30
