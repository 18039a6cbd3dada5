"""Operators' stock movements (adjust, transfer, return) and the ledger's invariants.

The property test drives random sequences of every stock operation against a small model
of what the stock should be, and checks after every step that each stock row's ledger
sums to ``on_hand`` and ``reserved``, that ``reserved`` is what its open reservations
hold, and that a refused operation changed nothing.
"""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.exceptions import CatalogError, InsufficientStock, ReasonRequired
from catalog.models import Reservation, Stock, StockMovement
from catalog.services import inventory
from tests.catalog.factories import SKUFactory, WarehouseFactory
from tests.concurrency import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(db):
    return SKUFactory()


@pytest.fixture
def east(db):
    return WarehouseFactory(code="east")


@pytest.fixture
def west(db):
    return WarehouseFactory(code="west")


def _state():
    """Everything a stock operation may write, to compare before and after a refusal."""
    return (
        sorted(Stock.objects.values_list("pk", "on_hand", "reserved", "frozen")),
        StockMovement.objects.count(),
        sorted(Reservation.objects.values_list("pk", "status")),
    )


def _ledger_problems():
    """Stock rows whose ledger or open reservations disagree with them (computed here,
    independently of the reconciliation service)."""
    problems = []
    for stock in Stock.objects.annotate(
        ledger=Sum("movements__quantity"),
        moves=Count("movements"),
    ):
        sums = stock.movements.aggregate(reserved=Sum("reserved_change"))
        held = stock.reservations.filter(status="open").aggregate(units=Sum("quantity"))
        figures = (
            stock.ledger or 0,
            sums["reserved"] or 0,
            held["units"] or 0,
            stock.on_hand,
            stock.reserved,
        )
        ledger, ledger_reserved, open_units, on_hand, reserved = figures
        if not (ledger == on_hand and ledger_reserved == reserved == open_units):
            problems.append((stock.pk, figures))
        if not 0 <= reserved <= on_hand:
            problems.append((stock.pk, "bounds", figures))
    return problems


# --- Adjustments -----------------------------------------------------------------------------


def test_an_adjustment_books_a_signed_change_with_its_reason(sku, east, operator):
    stock = inventory.receive_stock(sku=sku, warehouse=east, quantity=10, actor=operator)
    loss = inventory.adjust_stock(stock=stock, quantity=-3, actor=operator, reason=" 破损 3 件 ")
    gain = inventory.adjust_stock(stock=stock, quantity=2, actor=operator, reason="找到 2 件")
    stock.refresh_from_db()
    assert stock.on_hand == 9
    assert (loss.kind, loss.quantity, loss.reason, loss.actor) == (
        "adjustment",
        -3,
        "破损 3 件",
        operator,
    )
    assert (gain.quantity, gain.reason) == (2, "找到 2 件")
    assert _ledger_problems() == []


@pytest.mark.parametrize(
    ("quantity", "reason", "error"),
    [
        (-1, "", ReasonRequired),
        (5, "   ", ReasonRequired),
        (0, "counted again", CatalogError),
        (-7, "lost", InsufficientStock),  # 10 on hand, 4 reserved: 6 may go
    ],
)
def test_a_refused_adjustment_writes_nothing(sku, east, operator, quantity, reason, error):
    stock = inventory.receive_stock(sku=sku, warehouse=east, quantity=10, actor=operator)
    inventory.reserve(sku=sku, quantity=4)
    before = _state()
    with pytest.raises(error) as refused:
        inventory.adjust_stock(stock=stock, quantity=quantity, actor=operator, reason=reason)
    assert _state() == before
    if error is InsufficientStock:
        assert refused.value.available == 6


def test_reserved_units_can_be_adjusted_away_only_down_to_reserved(sku, east, operator):
    stock = inventory.receive_stock(sku=sku, warehouse=east, quantity=10, actor=operator)
    inventory.reserve(sku=sku, quantity=4)
    inventory.adjust_stock(stock=stock, quantity=-6, actor=operator, reason="water damage")
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (4, 4)
    assert _ledger_problems() == []


# --- Transfers -------------------------------------------------------------------------------


def test_a_transfer_moves_units_with_two_movements_sharing_a_reference(sku, east, west, operator):
    inventory.receive_stock(sku=sku, warehouse=east, quantity=10, actor=operator)
    assert not Stock.objects.filter(sku=sku, warehouse=west).exists()
    out, into = inventory.transfer_stock(
        sku=sku, source=east, destination=west, quantity=4, actor=operator, reason="rebalance"
    )
    source = Stock.objects.get(sku=sku, warehouse=east)
    target = Stock.objects.get(sku=sku, warehouse=west)
    assert (source.on_hand, target.on_hand) == (6, 4)
    assert (out.stock_id, out.kind, out.quantity) == (source.pk, "transfer_out", -4)
    assert (into.stock_id, into.kind, into.quantity) == (target.pk, "transfer_in", 4)
    assert out.reference == into.reference
    assert out.reference.startswith("transfer ") and len(out.reference) == len("transfer ") + 12
    assert out.reason == into.reason == "rebalance"
    assert out.actor == into.actor == operator
    assert _ledger_problems() == []
    again, _ = inventory.transfer_stock(
        sku=sku, source=west, destination=east, quantity=1, actor=operator
    )
    assert again.reference != out.reference


def test_a_transfer_leaves_reserved_units_and_says_how_many_are_free(sku, east, west, operator):
    inventory.receive_stock(sku=sku, warehouse=east, quantity=10, actor=operator)
    inventory.reserve(sku=sku, quantity=7)
    before = _state()
    with pytest.raises(InsufficientStock) as refused:
        inventory.transfer_stock(sku=sku, source=east, destination=west, quantity=4, actor=operator)
    assert refused.value.available == 3
    assert "3" in str(refused.value)
    # Not even the destination's empty stock row stays behind.
    assert _state() == before
    inventory.transfer_stock(sku=sku, source=east, destination=west, quantity=3, actor=operator)
    assert Stock.objects.get(sku=sku, warehouse=east).available == 0


def test_refused_transfers_write_nothing(sku, east, west, operator):
    closed = WarehouseFactory(code="closed", is_active=False)
    inventory.receive_stock(sku=sku, warehouse=east, quantity=5, actor=operator)
    before = _state()
    attempts = [
        (dict(source=east, destination=east, quantity=1), "same warehouse"),
        (dict(source=east, destination=closed, quantity=1), "not active"),
        (dict(source=east, destination=west, quantity=0), "at least one"),
        (dict(source=east, destination=west, quantity=-2), "at least one"),
    ]
    for kwargs, message in attempts:
        with pytest.raises(CatalogError, match=message):
            inventory.transfer_stock(sku=sku, actor=operator, **kwargs)
        assert _state() == before
    # A warehouse that never held the SKU has nothing to send.
    with pytest.raises(InsufficientStock) as refused:
        inventory.transfer_stock(sku=sku, source=west, destination=east, quantity=1, actor=operator)
    assert refused.value.available == 0
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_opposite_transfers_at_once_neither_deadlock_nor_lose_units(operator):
    sku = SKUFactory()
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    for warehouse in (east, west):
        inventory.receive_stock(sku=sku, warehouse=warehouse, quantity=50, actor=operator)
    rounds = 25
    pairs = ((east, west), (west, east), (east, west), (west, east))

    def shuttle(index):
        source, destination = pairs[index]
        for _ in range(rounds):
            inventory.transfer_stock(
                sku=sku, source=source, destination=destination, quantity=2, actor=None
            )
        return rounds

    done, errors = race(shuttle, len(pairs))
    assert errors == []  # a deadlock would surface here
    assert sum(done) == 4 * rounds
    assert sum(Stock.objects.filter(sku=sku).values_list("on_hand", flat=True)) == 100
    assert StockMovement.objects.filter(kind="transfer_out").count() == 4 * rounds
    assert _ledger_problems() == []


# --- Returns ---------------------------------------------------------------------------------


def test_a_return_books_the_units_back_with_its_reference(sku, east, operator):
    movement = inventory.return_to_stock(
        sku=sku, warehouse=east, quantity=2, actor=operator, reference="AS-2026-0001"
    )
    stock = Stock.objects.get(sku=sku, warehouse=east)
    assert stock.on_hand == 2
    assert (movement.stock_id, movement.kind, movement.quantity, movement.reference) == (
        stock.pk,
        "return",
        2,
        "AS-2026-0001",
    )
    before = _state()
    with pytest.raises(CatalogError):
        inventory.return_to_stock(
            sku=sku, warehouse=east, quantity=0, actor=operator, reference="x"
        )
    assert _state() == before
    assert _ledger_problems() == []


# --- Frozen stock is never reserved ----------------------------------------------------------


def test_frozen_stock_and_closed_warehouses_are_not_reserved(sku, east, west, operator):
    frozen = inventory.receive_stock(sku=sku, warehouse=east, quantity=9, actor=operator)
    inventory.receive_stock(sku=sku, warehouse=west, quantity=2, actor=operator)
    Stock.objects.filter(pk=frozen.pk).update(frozen=True)
    [reservation] = inventory.reserve(sku=sku, quantity=2)
    assert reservation.stock.warehouse == west
    with pytest.raises(InsufficientStock) as refused:
        inventory.reserve(sku=sku, quantity=1)
    assert refused.value.available == 0
    assert Stock.objects.get(pk=frozen.pk).reserved == 0


def _wait_until_blocked(pid_of_waiter, timeout=10):
    """Until the backend ``pid_of_waiter`` waits for a row lock (bounded)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid_of_waiter]
            )
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError("the reservation never waited for the freezing transaction")


@pytest.mark.django_db(transaction=True)
def test_a_row_frozen_while_a_reservation_waits_is_not_reserved(operator):
    # The reservation reads the row as sellable, then waits on the row lock of a
    # stocktake freezing it; once the freeze commits, its UPDATE must see frozen = true.
    sku = SKUFactory()
    stock = inventory.receive_stock(
        sku=sku, warehouse=WarehouseFactory(code="east"), quantity=5, actor=operator
    )
    outcome, backend = {}, {}
    started = threading.Event()

    def buy():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend["pid"] = cursor.fetchone()[0]
            started.set()
            outcome["reservation"] = inventory.reserve(sku=sku, quantity=1)
        except InsufficientStock as refused:
            outcome["refused"] = refused
        except Exception as error:
            outcome["error"] = repr(error)
        finally:
            started.set()
            connection.close()

    with transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(frozen=True)  # holds the row lock
        buyer = threading.Thread(target=buy)
        buyer.start()
        assert started.wait(timeout=10)
        _wait_until_blocked(backend["pid"])
    buyer.join(timeout=30)
    assert "error" not in outcome, outcome
    assert "reservation" not in outcome, "a frozen stock row was reserved"
    assert outcome["refused"].available == 0
    stock.refresh_from_db()
    assert (stock.frozen, stock.reserved) == (True, 0)
    assert not Reservation.objects.exists()


# --- Property: the ledger adds up after any sequence of operations ---------------------------

SKUS, WAREHOUSES = 2, 2
operations = st.one_of(
    st.tuples(
        st.just("receive"),
        st.integers(0, SKUS - 1),
        st.integers(0, WAREHOUSES - 1),
        st.integers(1, 6),
    ),
    st.tuples(
        st.just("reserve"),
        st.integers(0, SKUS - 1),
        st.integers(1, 5),
        st.sampled_from([None, 30, 180]),  # ttl in minutes
    ),
    st.tuples(st.just("release"), st.integers(0, 20)),
    st.tuples(st.just("consume"), st.integers(0, 20)),
    st.tuples(
        st.just("adjust"),
        st.integers(0, SKUS - 1),
        st.integers(0, WAREHOUSES - 1),
        st.integers(-6, 6),
        st.sampled_from(["", "盘点差异"]),
    ),
    st.tuples(
        st.just("transfer"),
        st.integers(0, SKUS - 1),
        st.integers(0, WAREHOUSES - 1),
        st.integers(0, WAREHOUSES - 1),
        st.integers(0, 5),
    ),
    st.tuples(
        st.just("return"),
        st.integers(0, SKUS - 1),
        st.integers(0, WAREHOUSES - 1),
        st.integers(0, 3),
    ),
    st.tuples(st.just("expire"), st.sampled_from([60, 240])),  # minutes from now
    st.tuples(
        st.just("freeze"), st.integers(0, SKUS - 1), st.integers(0, WAREHOUSES - 1), st.booleans()
    ),
)


class StockModel:
    """What the stock should be: (sku, warehouse) -> [on_hand, reserved, frozen]."""

    def __init__(self, skus, warehouses):
        self.skus, self.warehouses = skus, warehouses
        self.rows = {}  # (sku index, warehouse index) -> [on_hand, reserved, frozen]
        self.reservations = []  # [pk, key, quantity, open, expires_at]

    def row(self, s, w):
        return self.rows.setdefault((s, w), [0, 0, False])

    def stock(self, s, w):
        return Stock.objects.filter(sku=self.skus[s], warehouse=self.warehouses[w]).first()

    def apply(self, operation, now):
        """Perform ``operation``; return whether the model expects it to be refused,
        and the function that performs it."""
        name, *args = operation
        if name == "receive":
            s, w, n = args
            self.row(s, w)[0] += n
            return False, lambda: inventory.receive_stock(
                sku=self.skus[s], warehouse=self.warehouses[w], quantity=n, actor=None
            )
        if name == "reserve":
            s, n, ttl = args
            free = {
                w: row[0] - row[1]
                for (si, w), row in self.rows.items()
                if si == s and not row[2] and row[0] > row[1]
            }
            if sum(free.values()) < n:
                return True, lambda: inventory.reserve(sku=self.skus[s], quantity=n)
            ttl = datetime.timedelta(minutes=ttl) if ttl else None

            def reserve():
                reservations = inventory.reserve(sku=self.skus[s], quantity=n, ttl=ttl)
                taken = [
                    (self.warehouses.index(r.stock.warehouse), r.quantity) for r in reservations
                ]
                assert sum(units for _w, units in taken) == n
                whole = [w for w, units in free.items() if units >= n]
                if whole:
                    # One parcel when a warehouse can: the fullest of those (ties: either).
                    assert len(taken) == 1 and free[taken[0][0]] == max(free.values())
                else:
                    # Split: fullest first, each giving all it has but the last.
                    assert [free[w] for w, _units in taken] == sorted(free.values())[::-1][
                        : len(taken)
                    ]
                    assert all(units == free[w] for w, units in taken[:-1])
                for r, (w, units) in zip(reservations, taken, strict=True):
                    self.row(s, w)[1] += units
                    self.reservations.append([r, (s, w), units, True])

            return False, reserve
        if name in ("release", "consume"):
            if not self.reservations:
                return None, None
            entry = self.reservations[args[0] % len(self.reservations)]
            reservation, key, n, is_open = entry
            if is_open:
                entry[3] = False
                self.rows[key][1] -= n
                if name == "consume":
                    self.rows[key][0] -= n
            service = inventory.release if name == "release" else inventory.consume
            return not is_open, lambda: service(reservation=reservation)
        if name == "adjust":
            s, w, delta, reason = args
            if (s, w) not in self.rows:
                return None, None
            row = self.rows[(s, w)]
            refused = delta == 0 or not reason or row[0] + delta < row[1]
            if not refused:
                row[0] += delta
            stock = self.stock(s, w)
            return refused, lambda: inventory.adjust_stock(
                stock=stock, quantity=delta, actor=None, reason=reason
            )
        if name == "transfer":
            s, a, b, n = args
            source = self.rows.get((s, a))
            refused = n < 1 or a == b or source is None or source[0] - source[1] < n
            if not refused:
                source[0] -= n
                self.row(s, b)[0] += n
            return refused, lambda: inventory.transfer_stock(
                sku=self.skus[s],
                source=self.warehouses[a],
                destination=self.warehouses[b],
                quantity=n,
                actor=None,
            )
        if name == "return":
            s, w, n = args
            if n >= 1:
                self.row(s, w)[0] += n
            return n < 1, lambda: inventory.return_to_stock(
                sku=self.skus[s],
                warehouse=self.warehouses[w],
                quantity=n,
                actor=None,
                reference="RMA",
            )
        if name == "expire":
            at = now + datetime.timedelta(minutes=args[0])
            for entry in self.reservations:
                reservation, key, n, is_open = entry
                if is_open and reservation.expires_at and reservation.expires_at <= at:
                    entry[3] = False
                    self.rows[key][1] -= n
            return False, lambda: inventory.release_expired(now=at)
        if name == "freeze":
            s, w, frozen = args
            if (s, w) not in self.rows:
                return None, None
            self.rows[(s, w)][2] = frozen
            # A stocktake sets the flag (outside this module's services).
            return False, lambda: Stock.objects.filter(pk=self.stock(s, w).pk).update(frozen=frozen)
        raise AssertionError(name)

    def check(self):
        assert _ledger_problems() == []
        actual = {
            (self.skus.index(stock.sku), self.warehouses.index(stock.warehouse)): [
                stock.on_hand,
                stock.reserved,
                stock.frozen,
            ]
            for stock in Stock.objects.select_related("sku", "warehouse")
        }
        assert actual == self.rows
        open_pks = {entry[0].pk for entry in self.reservations if entry[3]}
        assert set(Reservation.objects.filter(status="open").values_list("pk", flat=True)) == (
            open_pks
        )


@pytest.fixture
def ground(db):
    """Two SKUs and two warehouses, made once for all examples of the property test."""
    return (
        [SKUFactory(), SKUFactory()],
        [WarehouseFactory(code="prop-a"), WarehouseFactory(code="prop-b")],
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=3, max_size=30))
def test_the_ledger_adds_up_after_any_sequence_of_operations(ground, steps):
    skus, warehouses = ground
    now = timezone.now()
    # Each example in a savepoint rolled back at its end: every example starts empty.
    with transaction.atomic():
        model = StockModel(skus, warehouses)
        for step in steps:
            refused, perform = model.apply(step, now)
            if perform is None:
                continue  # nothing to act on yet (no reservation / no stock row)
            before = _state()
            if refused:
                with pytest.raises(CatalogError):
                    perform()
                assert _state() == before, f"{step} was refused but changed something"
            else:
                perform()
            model.check()
        transaction.set_rollback(True)
    assert not Stock.objects.filter(sku__in=skus).exists()
