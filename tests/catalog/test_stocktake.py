"""Stocktakes (盘点): what each scope counts, freezing, blind counting at the book quantity
of the moment, all-or-nothing approval that keeps the ledger summing, the refusals, the
back-office pages and the phone counting page with bounded query counts."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

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
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL, CATEGORY, SAMPLE = Stocktake.Scope.values


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
    barrier = threading.Barrier(2)
    opened, refused, errors = [], [], []

    def open_count(actor):
        try:
            barrier.wait(timeout=30)
            opened.append(_open(warehouse, actor).pk)
        except stocktakes.CountAlreadyActive:
            refused.append(actor.pk)
        except Exception as error:  # anything else is a bug this test must show
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_count, args=(u,)) for u in (operator, manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
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
    assert inventory.reserve(sku=sku, quantity=1).stock_id == stock.pk


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
    assert inventory.reserve(sku=stock.sku, quantity=2).stock_id == stock.pk


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
    sold = inventory.reserve(sku=stock.sku, quantity=3)
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
