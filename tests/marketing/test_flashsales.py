"""Flash sales: scheduling rules, the Redis gate (against the real test Redis), buying,
compensation, priming after a lost Redis, reconciliation after a crash, units coming back
from cancelled and unpaid orders, and the pages, API and admin around them.

The race through the real web server is in ``test_flashsale_race.py``.
"""

import datetime
import re
import threading
import uuid
from decimal import Decimal

import pytest
import yaml
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, SkuCost, Stock
from catalog.services import inventory
from marketing import tasks
from marketing.models import FlashSale, FlashSaleClaim
from marketing.selectors import flashsales as flash_selectors
from marketing.services import flash_gate as flashsale_gate
from marketing.services import flashsales as flashsale
from marketing.services.flashsales import claims as flash_claims
from orders.exceptions import OrderRefused
from orders.models import Order
from orders.services import ordering
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.flashsale_helpers import sale_sku, schedule

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def gate(redis_client, settings):
    """The Redis gate on, over an empty test Redis; yields the raw client to look in."""
    settings.MALL_FLASH_SALE_GATE = "redis"
    return redis_client


@pytest.fixture
def sku(db):
    return sale_sku(price="100.00", stock=20)


@pytest.fixture
def sale(sku):
    return schedule(sku, price="59.00", quantity=5, limit=1)


def shopper_with_address():
    user = UserFactory()
    return user, AddressFactory(user=user)


def attempt(sale, user=None, address=None, *, quantity=1, key=None, method="standard"):
    if user is None:
        user, address = shopper_with_address()
    return flashsale.buy(
        sale=sale,
        user=user,
        quantity=quantity,
        address=address,
        shipping_method=method,
        idempotency_key=key or uuid.uuid4().hex,
    )


def left_in_gate(client, sale) -> int | None:
    value = client.get(flashsale_gate.gate_keys(sale.pk)[0])
    return None if value is None else int(value)


def holders(client, sale) -> dict[int, str]:
    raw = client.hgetall(flashsale_gate.gate_keys(sale.pk)[1])
    return {int(user): value.decode() for user, value in raw.items()}


# --- Scheduling --------------------------------------------------------------------------------


def test_a_sale_is_scheduled_with_its_rules(sku):
    start = timezone.now() + HOUR
    sale = flashsale.schedule_sale(
        sku=sku,
        price="59.00",
        quantity=10,
        per_shopper_limit=2,
        starts_at=start,
        ends_at=start + HOUR,
        actor=None,
    )
    assert (sale.price, sale.quantity, sale.per_shopper_limit, sale.sold) == (
        Decimal("59.00"),
        10,
        2,
        0,
    )
    assert sale.state == "upcoming"


def test_scheduling_refuses_with_every_problem_at_once(sku):
    now = timezone.now()
    with pytest.raises(flashsale.FlashSaleInvalid) as refused:
        flashsale.schedule_sale(
            sku=sku,
            price="0",
            quantity=3,
            per_shopper_limit=5,
            starts_at=now + HOUR,
            ends_at=now,
            actor=None,
        )
    problems = refused.value.problems
    assert "The flash price must be above zero." in problems
    assert "The limit per shopper cannot be more than the units offered." in problems
    assert "The sale must end after it starts." in problems
    assert not FlashSale.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price": "100.00"}, "below the current price"),
        ({"price": "-1"}, "above zero"),
        ({"quantity": 21}, "Only 20 unit(s)"),
        ({"ends_at": "past"}, "must end in the future"),
    ],
)
def test_scheduling_refuses_a_price_not_below_the_list_price_or_units_not_in_stock(
    sku, changes, message
):
    now = timezone.now()
    arguments = {
        "sku": sku,
        "price": "59.00",
        "quantity": 5,
        "per_shopper_limit": 1,
        "starts_at": now - 2 * HOUR,
        "ends_at": now + HOUR,
        "actor": None,
    }
    arguments.update(changes)
    if arguments["ends_at"] == "past":
        arguments["ends_at"] = now - HOUR
    with pytest.raises(flashsale.FlashSaleInvalid, match=re.escape(message)):
        flashsale.schedule_sale(**arguments)


def test_a_flash_price_below_the_moving_average_cost_is_refused(sku):
    SkuCost.objects.create(sku=sku, average=Decimal("60.00"))
    with pytest.raises(
        flashsale.FlashSaleInvalid, match=re.escape("below the moving-average cost 60.00")
    ):
        schedule(sku, price="59.99")
    assert not FlashSale.objects.exists()
    assert schedule(sku, price="60.00").price == Decimal("60.00")  # at cost is allowed


def test_goods_not_on_sale_cannot_have_a_flash_sale(sku):
    Product.objects.filter(pk=sku.product_id).update(status=Product.Status.DELISTED)
    with pytest.raises(flashsale.FlashSaleInvalid, match="is not on sale"):
        schedule(sku)


def test_overlapping_sales_of_one_sku_are_refused_by_the_service_and_the_database(sku):
    first = schedule(sku, starts_in=HOUR, lasts=2 * HOUR)
    with pytest.raises(flashsale.FlashSaleInvalid, match="Another flash sale of this SKU runs"):
        schedule(sku, starts_in=2 * HOUR, lasts=2 * HOUR)
    # Back to back is fine: the intervals are half-open.
    schedule(sku, starts_in=3 * HOUR, lasts=HOUR)
    # Two operators at once: the exclusion constraint refuses the second.
    with pytest.raises(IntegrityError), transaction.atomic():
        FlashSale.objects.create(
            sku=sku,
            price="50.00",
            quantity=1,
            starts_at=first.starts_at + datetime.timedelta(minutes=30),
            ends_at=first.ends_at,
        )


def test_ending_and_calling_off(sku):
    live = schedule(sku, lasts=HOUR)
    later = schedule(sku, starts_in=2 * HOUR)
    with pytest.raises(flashsale.FlashSaleInvalid):
        flashsale.call_off_sale(sale=live, actor=None)
    with pytest.raises(flashsale.FlashSaleInvalid):
        flashsale.end_sale(sale=later, actor=None)
    flashsale.end_sale(sale=live, actor=None)
    assert live.state == "ended"
    with pytest.raises(flashsale.SaleEnded):
        attempt(live)
    flashsale.call_off_sale(sale=later, actor=None)
    assert not FlashSale.objects.filter(pk=later.pk).exists()


def test_state_and_units_left_at_the_boundaries():
    start, tick = timezone.now(), datetime.timedelta(microseconds=1)
    sale = FlashSale(quantity=5, sold=0, starts_at=start, ends_at=start + HOUR)
    assert (sale.state_at(start - tick), sale.units_left) == (FlashSale.State.UPCOMING, 5)
    assert sale.state_at(start) == sale.state_at(start + HOUR - tick) == FlashSale.State.LIVE
    sale.sold = 5  # sold out: still live, nothing left
    assert (sale.state_at(start + tick), sale.units_left) == (FlashSale.State.LIVE, 0)
    assert sale.state_at(start + HOUR) == FlashSale.State.ENDED
    # The property reads the clock; the values are the API's words.
    assert FlashSale(starts_at=start - HOUR, ends_at=start + HOUR).state == "live"
    assert FlashSale.State.values == ["upcoming", "live", "ended"]


# --- The Redis gate ------------------------------------------------------------------------------


def test_the_gate_primes_itself_then_takes_units_while_they_last(gate, sale):
    users = [UserFactory() for _ in range(7)]
    assert left_in_gate(gate, sale) is None  # never asked yet

    answers = [
        flashsale_gate.pass_gate(sale=sale, user=user, quantity=1, idempotency_key=f"k{n}")
        for n, user in enumerate(users)
    ]

    assert [a.verdict for a in answers] == ["ok"] * 5 + ["short"] * 2
    assert [a.value for a in answers] == [4, 3, 2, 1, 0, 0, 0]
    assert left_in_gate(gate, sale) == 0
    assert holders(gate, sale) == {user.pk: f"1 k{n}" for n, user in enumerate(users[:5])}
    # The keys go away by themselves a day after the sale.
    ttl = gate.ttl(flashsale_gate.gate_keys(sale.pk)[0])
    assert HOUR.total_seconds() < ttl <= (HOUR + datetime.timedelta(days=1)).total_seconds()
    # Nothing in the database: the gate is only the first filter.
    assert FlashSaleClaim.objects.count() == 0


def test_the_gate_refuses_a_shopper_who_holds_units_and_says_by_which_submit(gate, sku):
    sale = schedule(sku, quantity=10, limit=3)
    user = UserFactory()
    first = flashsale_gate.pass_gate(sale=sale, user=user, quantity=2, idempotency_key="first")
    again = flashsale_gate.pass_gate(sale=sale, user=user, quantity=1, idempotency_key="second")
    stranger = UserFactory()
    too_many = flashsale_gate.pass_gate(sale=sale, user=stranger, quantity=4, idempotency_key="x")
    assert (first.verdict, first.value) == ("ok", 8)
    assert (again.verdict, again.value, again.holder_key) == ("limit", 2, "first")
    assert (too_many.verdict, too_many.value) == ("limit", 0)
    assert left_in_gate(gate, sale) == 8


def test_the_gate_gives_back_only_what_it_is_told(gate, sale):
    user = UserFactory()
    flashsale_gate.pass_gate(sale=sale, user=user, quantity=1, idempotency_key="mine")
    flashsale_gate.give_back(sale_id=sale.pk, user_id=user.pk, units=1, hold="not-mine")
    assert left_in_gate(gate, sale) == 5 and user.pk in holders(gate, sale)
    flashsale_gate.give_back(sale_id=sale.pk, user_id=user.pk, units=0, hold="mine")
    assert left_in_gate(gate, sale) == 5 and holders(gate, sale) == {}
    # With the keys gone (Redis lost), giving back writes nothing: priming reads the database.
    gate.flushdb()
    any_hold = flashsale_gate.ANY_HOLD
    flashsale_gate.give_back(sale_id=sale.pk, user_id=user.pk, units=1, hold=any_hold)
    assert left_in_gate(gate, sale) is None


# --- Buying --------------------------------------------------------------------------------------


def test_a_winner_gets_an_order_at_the_flash_price_and_a_claim(gate, sale, sku):
    user, address = shopper_with_address()
    order = attempt(sale, user, address, key="buy-1")

    assert order.status == Order.Status.PENDING_PAYMENT
    [line] = order.lines.all()
    assert (line.sku_id, line.unit_price, line.quantity) == (sku.pk, Decimal("59.00"), 1)
    assert (order.goods_total, order.shipping_fee, order.total) == (
        Decimal("59.00"),
        Decimal("10.00"),
        Decimal("69.00"),
    )
    claim = FlashSaleClaim.objects.get()
    assert (claim.order_id, claim.user_id, claim.quantity, claim.released) == (
        order.pk,
        user.pk,
        1,
        False,
    )
    sale.refresh_from_db()
    assert sale.sold == 1 and sale.units_left == 4
    assert left_in_gate(gate, sale) == 4
    assert holders(gate, sale) == {user.pk: "1 buy-1"}
    assert inventory.available_units(sku) == 19

    # The same submit again (double click, retried request): the same order, nothing more.
    assert attempt(sale, user, address, key="buy-1").pk == order.pk
    # Another purchase by the same shopper: one live order per shopper and sale.
    with pytest.raises(flashsale.OverLimit, match="already have an order"):
        attempt(sale, user, address, key="buy-2")
    sale.refresh_from_db()
    assert (sale.sold, Order.objects.count(), left_in_gate(gate, sale)) == (1, 1, 4)


def test_refusals_say_why(gate, sku):
    soon = schedule(sku, starts_in=HOUR, quantity=3, limit=2)
    with pytest.raises(flashsale.SaleNotStarted, match="starts at"):
        attempt(soon)
    sale = schedule(sku, quantity=3, limit=2, lasts=datetime.timedelta(minutes=30))
    with pytest.raises(flashsale.OverLimit, match="At most 2 per shopper"):
        attempt(sale, quantity=3)
    attempt(sale, quantity=2)
    with pytest.raises(flashsale.NotEnoughLeft, match="Only 1 left"):
        attempt(sale, quantity=2)
    attempt(sale, quantity=1)
    with pytest.raises(flashsale.SoldOut):
        attempt(sale)
    with pytest.raises(flashsale.SaleEnded):
        flashsale.buy(
            sale=sale,
            user=UserFactory(),
            quantity=1,
            address=None,
            shipping_method="standard",
            idempotency_key="late",
            now=sale.ends_at,
        )
    assert Order.objects.count() == 2


def test_with_the_gate_off_the_database_alone_keeps_the_rules(settings, redis_client, sku):
    settings.MALL_FLASH_SALE_GATE = "off"
    sale = schedule(sku, quantity=2, limit=1)
    user, address = shopper_with_address()
    attempt(sale, user, address, key="a")
    with pytest.raises(flashsale.OverLimit):
        attempt(sale, user, address, key="b")
    assert attempt(sale, user, address, key="a").pk == Order.objects.get().pk
    attempt(sale)
    with pytest.raises(flashsale.SoldOut):
        attempt(sale)
    assert redis_client.keys("mall:flash-sale:*") == []
    sale.refresh_from_db()
    assert sale.sold == 2


def test_an_unreachable_redis_sends_attempts_to_the_database(settings, sku, caplog):
    settings.MALL_FLASH_SALE_REDIS_TIMEOUT = 0.2
    sale = schedule(sku, quantity=1)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    attempt(sale)
    with pytest.raises(flashsale.SoldOut):
        attempt(sale)
    assert "gate unavailable" in caplog.text


# --- What a refused crowd costs ------------------------------------------------------------------


@pytest.fixture
def sale_cache(monkeypatch, settings):
    """This process's cache of sales to buy, empty, kept long enough for a slow test run."""
    monkeypatch.setattr(flash_selectors, "_sales_to_buy", {})
    settings.MALL_FLASH_SALE_CACHE_SECONDS = 60


def test_a_sale_to_buy_is_read_once_and_then_kept(sale, sale_cache, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = flash_selectors.sale_to_buy(sale.pk)
    FlashSale.objects.filter(pk=sale.pk).update(price=Decimal("49.00"))
    with django_assert_num_queries(0):
        again = flash_selectors.sale_to_buy(str(sale.pk))
    assert again.pk == sale.pk and again.price == Decimal("59.00")  # kept, not read again
    assert again is not first  # each attempt its own instance


def test_refusals_by_the_gate_cost_the_database_nothing(
    gate, sku, sale_cache, django_assert_num_queries
):
    sale = schedule(sku, quantity=2, limit=1)
    winner, winner_address = shopper_with_address()
    attempt(sale, winner, winner_address, key="won")  # primes the gate
    user, address = shopper_with_address()
    flash_selectors.sale_to_buy(sale.pk)  # the sale row in this process's cache

    def buy(shopper, address_id, *, quantity=1, key):
        return flashsale.buy(
            sale=flash_selectors.sale_to_buy(sale.pk),
            user=shopper,
            quantity=quantity,
            address=address_id,
            shipping_method="standard",
            idempotency_key=key,
        )

    with django_assert_num_queries(0):
        with pytest.raises(flashsale.OverLimit, match="already have an order"):
            buy(winner, winner_address.pk, key="again")
        with pytest.raises(flashsale.OverLimit, match="At most 1 per shopper"):
            buy(user, address.pk, quantity=2, key="two")

    attempt(sale)  # the last unit
    with django_assert_num_queries(0):
        with pytest.raises(flashsale.SoldOut):
            buy(user, address.pk, key="late")
        with pytest.raises(flashsale.OverLimit, match="already have an order"):
            buy(winner, winner_address.pk, key="late-again")
    assert left_in_gate(gate, sale) == 0 and Order.objects.count() == 2


def test_a_refused_api_attempt_reads_only_the_session_and_the_shopper(
    client, gate, sku, sale_cache, django_assert_max_num_queries
):
    sale = schedule(sku, quantity=1, limit=1)
    winner, winner_address = shopper_with_address()
    attempt(sale, winner, winner_address, key="won")  # primes the gate, sells out
    user, address = shopper_with_address()
    flash_selectors.sale_to_buy(sale.pk)  # as after the crowd's first attempt in this process
    url = f"/api/v1/flash-sales/{sale.pk}/buy/"

    def post(shopper, address_id, key):
        client.force_login(shopper)
        body = {"quantity": 1, "address": address_id, "shipping_method": "standard"}
        with django_assert_max_num_queries(2):  # the session, the shopper
            return client.post(
                url, body, content_type="application/json", headers={"Idempotency-Key": key}
            )

    sold_out = post(user, address.pk, "late")
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "sold_out"
    again = post(winner, winner_address.pk, "again")
    assert again.status_code == 400 and again.json()["code"] == "over_limit"
    assert Order.objects.count() == 1


# --- Priming and compensation --------------------------------------------------------------------


def test_a_lost_redis_is_primed_again_from_the_database(gate, sale):
    winner, address = shopper_with_address()
    attempt(sale, winner, address, key="won")
    attempt(sale)
    gate.flushdb()  # Redis lost its data mid-sale

    with pytest.raises(flashsale.OverLimit):
        attempt(sale, winner, address, key="again")
    assert left_in_gate(gate, sale) == 3
    assert holders(gate, sale)[winner.pk] == "1 won"
    assert len(holders(gate, sale)) == 2
    attempt(sale)
    assert left_in_gate(gate, sale) == 2


def test_priming_never_hands_out_more_than_the_free_stock(gate, sku):
    sale = schedule(sku, quantity=10)
    Stock.objects.filter(sku=sku).update(reserved=17)  # 3 free
    flashsale_gate.pass_gate(sale=sale, user=UserFactory(), quantity=1, idempotency_key="k")
    assert left_in_gate(gate, sale) == 2


def test_a_refused_order_gives_its_unit_back_to_the_gate(gate, sale):
    user = UserFactory()
    stranger_address = AddressFactory()
    with pytest.raises(flashsale.NotYourAddress, match="your own addresses"):
        attempt(sale, user, stranger_address.pk, key="k1")  # an id: checked after the gate
    assert left_in_gate(gate, sale) == 5 and holders(gate, sale) == {}
    assert not Order.objects.exists() and FlashSaleClaim.objects.count() == 0
    # The shopper may try again (with a good address) and wins.
    attempt(sale, user, AddressFactory(user=user), key="k1")
    assert left_in_gate(gate, sale) == 4


def test_short_stock_refuses_and_keeps_the_unit_out_of_the_gate(gate, sku):
    sale = schedule(sku, quantity=5)
    flashsale_gate.pass_gate(sale=sale, user=UserFactory(), quantity=1, idempotency_key="prime")
    Stock.objects.filter(sku=sku).update(reserved=20)  # sold elsewhere meanwhile
    with pytest.raises(OrderRefused, match="out of stock"):
        attempt(sale)
    assert left_in_gate(gate, sale) == 3  # the unit cannot be sold: not handed out again


def test_the_database_refuses_what_an_overcounting_gate_lets_through(gate, sale):
    attempt(sale)
    gate.set(flashsale_gate.gate_keys(sale.pk)[0], 50)  # a gate that believes in 50 units
    for _ in range(4):
        attempt(sale)
    with pytest.raises(flashsale.SoldOut):
        attempt(sale)
    sale.refresh_from_db()
    assert sale.sold == 5 and Order.objects.count() == 5
    assert left_in_gate(gate, sale) == 45  # and the gate moved towards the truth


def test_a_crash_inside_the_database_step_gives_the_unit_back(gate, sale, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("connection to the database lost")

    monkeypatch.setattr(ordering, "place_order", broken)
    with pytest.raises(RuntimeError):
        attempt(sale)
    assert left_in_gate(gate, sale) == 5 and holders(gate, sale) == {}


# --- Reconciliation ------------------------------------------------------------------------------


def test_reconcile_returns_units_a_crashed_attempt_kept_in_redis(gate, sale):
    attempt(sale)
    # Two attempts passed the gate and their process died before the database step.
    for n in range(2):
        flashsale_gate.pass_gate(sale=sale, user=UserFactory(), quantity=1, idempotency_key=f"c{n}")
    assert left_in_gate(gate, sale) == 2

    counts = flashsale.reconcile()

    # offers: the sale's flash price, copied again for the storefront's cards
    assert counts == {"released": 0, "drift": 0, "gates": 1, "corrected": 1, "offers": 1}
    assert left_in_gate(gate, sale) == 4
    assert len(holders(gate, sale)) == 1  # the winner only
    assert flashsale.reconcile()["corrected"] == 0  # nothing left to correct


def test_reconcile_refills_a_redis_that_lost_everything(gate, sale):
    attempt(sale)
    attempt(sale)
    gate.flushdb()
    assert tasks.reconcile_flash_sales()["gates"] == 1
    assert left_in_gate(gate, sale) == 3 and len(holders(gate, sale)) == 2


def test_reconcile_releases_the_claim_of_an_order_cancelled_without_it(
    gate, sale, django_capture_on_commit_callbacks
):
    order = attempt(sale)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)  # a path that forgot
    with django_capture_on_commit_callbacks(execute=True):
        counts = flashsale.reconcile()
    assert counts["released"] == 1
    sale.refresh_from_db()
    assert sale.sold == 0 and FlashSaleClaim.objects.get().released
    assert left_in_gate(gate, sale) == 5


def test_reconcile_reports_drift_and_never_rewrites_sold(gate, sale, caplog):
    attempt(sale)
    FlashSale.objects.filter(pk=sale.pk).update(sold=3)
    assert flashsale.reconcile()["drift"] == 1
    assert "drift" in caplog.text
    sale.refresh_from_db()
    assert sale.sold == 3
    assert left_in_gate(gate, sale) == 4  # the gate follows the claims


def test_with_the_gate_off_reconcile_drops_the_keys(gate, sale, settings):
    attempt(sale)
    settings.MALL_FLASH_SALE_GATE = "off"
    flashsale.reconcile()
    assert gate.keys("mall:flash-sale:*") == []


def test_reconcile_runs_every_minute_in_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["marketing-reconcile-flash-sales"]
    assert entry["task"] == "marketing.tasks.reconcile_flash_sales"
    assert entry["schedule"] == settings.MALL_FLASH_SALE_RECONCILE_SECONDS == 60


# --- Units coming back ---------------------------------------------------------------------------


def test_an_unpaid_flash_order_expires_and_returns_its_unit_to_the_sale_and_the_gate(
    gate, sale, sku, django_capture_on_commit_callbacks
):
    user, address = shopper_with_address()
    order = attempt(sale, user, address)
    assert order.pay_by > timezone.now()
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - datetime.timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert ordering.cancel_unpaid_orders() == 1

    sale.refresh_from_db()
    assert sale.sold == 0
    assert FlashSaleClaim.objects.get().released
    assert left_in_gate(gate, sale) == 5 and holders(gate, sale) == {}
    assert inventory.available_units(sku) == 20
    # The unit is on sale again, for this shopper too.
    attempt(sale, user, address)
    sale.refresh_from_db()
    assert sale.sold == 1


def test_a_shopper_cancelling_returns_the_unit_once(gate, sale, django_capture_on_commit_callbacks):
    user, address = shopper_with_address()
    order = attempt(sale, user, address)
    with django_capture_on_commit_callbacks(execute=True):
        ordering.cancel_order(order=order, actor=user, reason="买错了")
    flashsale.release_claim(order=order)  # a second path meeting the same order
    sale.refresh_from_db()
    assert sale.sold == 0 and left_in_gate(gate, sale) == 5
    # Orders that are not flash orders are untouched.
    other = ordering.place_order(
        user=user,
        address=address,
        items=[(sale.sku_id, 1)],
        shipping_method="standard",
        idempotency_key="plain",
    )
    flashsale.release_claim(order=other)
    sale.refresh_from_db()
    assert sale.sold == 0


# --- Storefront pages ----------------------------------------------------------------------------


def test_the_product_page_banner_shows_a_live_sale_with_a_buy_button(client, gate, sale, sku):
    attempt(sale)
    page = client.get(f"/product/{sku.product_id}/").text
    banner = page.split('id="flash-sale"')[1].split("</div>")[0]
    assert "¥59.00" in banner and "4 units left" in banner
    assert reverse("flashsales:buy", args=[sale.pk]) in banner and 'id="flash-buy"' in banner


def test_the_banner_announces_an_upcoming_sale_and_hides_ended_ones(client, sku):
    sale = schedule(sku, starts_in=HOUR, quantity=8)
    page = client.get(f"/product/{sku.product_id}/").text
    banner = page.split('id="flash-sale"')[1].split("</div>")[0]
    when = timezone.localtime(sale.starts_at).strftime("%Y-%m-%d %H:%M")
    assert f"from {when}: 8 at ¥59.00" in banner and "flash-buy" not in banner
    FlashSale.objects.filter(pk=sale.pk).update(
        starts_at=timezone.now() - 2 * HOUR, ends_at=timezone.now() - HOUR
    )
    assert 'id="flash-sale"' not in client.get(f"/product/{sku.product_id}/").text


def test_the_list_page_shows_live_and_upcoming_sales(client, sku, django_assert_max_num_queries):
    schedule(sku)
    other = sale_sku(name="秒杀白茶")
    schedule(other, starts_in=HOUR)
    with django_assert_max_num_queries(1):
        page = client.get(reverse("flashsales:list"))
    assert page.status_code == 200
    assert "秒杀龙井" in page.text and "秒杀白茶" in page.text
    assert page.text.count("Buy now") == 1


def test_the_buy_page_needs_a_login(client, sale):
    response = client.get(reverse("flashsales:buy", args=[sale.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_shopper_buys_on_the_page_and_lands_on_the_order(
    client, gate, sale, django_assert_max_num_queries
):
    user = UserFactory()
    AddressFactory(user=user, recipient="旧地址")
    default = AddressFactory(user=user, recipient="默认地址", is_default=True)
    client.force_login(user)
    url = reverse("flashsales:buy", args=[sale.pk])

    with django_assert_max_num_queries(4):  # session, shopper, sale, addresses
        page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["address"] == default.pk  # the default address first
    key = form.initial["idempotency_key"]
    assert f'value="{key}"' in page.text and "¥59.00" in page.text

    data = {
        "address": default.pk,
        "shipping_method": "express",
        "quantity": 1,
        "idempotency_key": key,
    }
    response = client.post(url, data)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order_detail", args=[order.number])
    assert (order.recipient, order.shipping_method, order.total) == (
        "默认地址",
        "express",
        Decimal("79.00"),
    )
    # A double click: the same order.
    again = client.post(url, data)
    assert again["Location"] == response["Location"] and Order.objects.count() == 1
    # A second purchase is refused on the page.
    refused = client.post(url, {**data, "idempotency_key": uuid.uuid4().hex})
    assert refused.status_code == 200
    assert "You already have an order from this flash sale" in refused.text


def test_the_buy_page_shows_refusals_and_bad_input(client, gate, sku):
    sale = schedule(sku, quantity=1, limit=1)
    attempt(sale)
    user, address = shopper_with_address()
    client.force_login(user)
    url = reverse("flashsales:buy", args=[sale.pk])
    data = {"address": address.pk, "shipping_method": "standard", "quantity": 1}
    sold_out = client.post(url, {**data, "idempotency_key": "a"})
    # The refusal's own words (the page says "Sold out" by itself whenever nothing is left).
    refusal = "Sold out: every unit of this flash sale has been claimed."
    assert sold_out.status_code == 200 and refusal in sold_out.text
    assert sold_out.context["form"].non_field_errors() == [refusal]
    stranger = client.post(url, {**data, "address": AddressFactory().pk, "idempotency_key": "b"})
    assert "Choose one of your own addresses." in stranger.text
    assert Order.objects.count() == 1


# --- REST API ------------------------------------------------------------------------------------


def test_the_api_lists_live_and_upcoming_sales_publicly(client, sku, django_assert_max_num_queries):
    live = schedule(sku)
    upcoming = schedule(sale_sku(name="秒杀白茶"), starts_in=HOUR)
    ended = schedule(sale_sku(name="秒杀红茶"))
    FlashSale.objects.filter(pk=ended.pk).update(ends_at=timezone.now())
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/flash-sales/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["id"], row["state"]) for row in rows] == [
        (live.pk, "live"),
        (upcoming.pk, "upcoming"),
    ]
    assert rows[0]["price"] == "59.00" and rows[0]["units_left"] == 5
    assert rows[0]["product"] == {"id": sku.product_id, "name": "秒杀龙井"}
    detail = client.get(f"/api/v1/flash-sales/{ended.pk}/").json()
    assert detail["state"] == "ended"
    assert client.get("/api/v1/flash-sales/999999/").status_code == 404


def test_buying_through_the_api(client, gate, sku):
    sale = schedule(sku, quantity=2, limit=1)
    user, address = shopper_with_address()
    url = f"/api/v1/flash-sales/{sale.pk}/buy/"
    body = {"quantity": 1, "address": address.pk, "shipping_method": "standard"}

    assert client.post(url, body, content_type="application/json").status_code == 403
    client.force_login(user)
    missing_key = client.post(url, body, content_type="application/json")
    assert missing_key.status_code == 400 and "Idempotency-Key" in missing_key.json()["detail"]
    bad = client.post(
        url,
        {"quantity": 0, "address": "x", "shipping_method": "drone"},
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"detail", "code", "fields"}
    assert set(bad.json()["fields"]) == {"quantity", "address", "shipping_method"}
    assert bad.json()["code"] == "invalid"
    stranger = client.post(
        url,
        {**body, "address": AddressFactory().pk},
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert stranger.status_code == 400
    assert stranger.json()["fields"]["address"] == ["Choose one of your own addresses."]
    assert stranger.json()["code"] == "invalid"
    assert not Order.objects.exists()

    created = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert created.status_code == 201, created.content
    order = Order.objects.get()
    assert created.json()["number"] == order.number and created.json()["total"] == "69.00"
    replay = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "k1"}
    )
    assert replay.status_code == 201 and replay.json()["number"] == order.number
    limit = client.post(
        url, body, content_type="application/json", headers={"Idempotency-Key": "k2"}
    )
    assert limit.status_code == 400 and limit.json()["code"] == "over_limit"

    attempt(sale)  # the last unit
    other, other_address = shopper_with_address()
    client.force_login(other)
    sold_out = client.post(
        url,
        {**body, "address": other_address.pk},
        content_type="application/json",
        headers={"Idempotency-Key": "k3"},
    )
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "sold_out"


def test_the_api_schema_documents_the_flash_sale_endpoints(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    buy = schema["paths"]["/api/v1/flash-sales/{id}/buy/"]["post"]
    assert {"201", "400", "409"} <= set(buy["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in buy["parameters"])
    assert "/api/v1/flash-sales/" in schema["paths"]


# --- Admin ---------------------------------------------------------------------------------------


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


def test_operators_schedule_a_sale_through_the_service(client, operator, sku):
    client.force_login(operator)
    url = reverse("admin:marketing_flashsale_add")
    assert client.get(url).status_code == 200
    start = timezone.localtime() + HOUR
    data = {
        "sku": sku.pk,
        "price": "100.00",
        "quantity": 50,
        "per_shopper_limit": 1,
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": (start + HOUR).strftime("%Y-%m-%d"),
        "ends_at_1": (start + HOUR).strftime("%H:%M:%S"),
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "below the current price" in refused.text and "Only 20 unit(s)" in refused.text
    assert not FlashSale.objects.exists()

    done = client.post(url, {**data, "price": "59.00", "quantity": 10})
    assert done.status_code == 302
    sale = FlashSale.objects.get()
    assert (sale.quantity, sale.created_by) == (10, operator)


@pytest.mark.parametrize("count", [2, 12])
def test_the_sale_list_and_page_run_bounded_queries(
    client, gate, operator, count, django_assert_max_num_queries
):
    sales = []
    for n in range(count):
        sku = sale_sku(name=f"秒杀茶{n}")
        sales.append(schedule(sku, quantity=15))
    for _ in range(3):
        attempt(sales[0])
    client.force_login(operator)
    with django_assert_max_num_queries(10):
        listed = client.get(reverse("admin:marketing_flashsale_changelist"))
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == count
    by_pk = {sale.pk: sale for sale in listed.context["cl"].result_list}
    assert by_pk[sales[0].pk].gate_counter == 12 and by_pk[sales[1].pk].gate_counter is None

    for _ in range(count - 2):
        attempt(sales[1])
    with django_assert_max_num_queries(8):  # the claims inline: one query for all rows
        page = client.get(reverse("admin:marketing_flashsale_change", args=[sales[1].pk]))
    assert page.status_code == 200
    assert page.text.count("orders/order/") >= count - 2  # each claim links its order
    # Read-only: nothing to save.
    change = reverse("admin:marketing_flashsale_change", args=[sales[1].pk])
    assert client.post(change, {}).status_code == 403


def test_operators_end_a_live_sale_and_call_off_an_upcoming_one(client, operator, sku):
    live = schedule(sku)
    upcoming = schedule(sku, starts_in=2 * HOUR)
    later = schedule(sku, starts_in=4 * HOUR)
    client.force_login(operator)
    url = reverse("admin:marketing_flashsale_changelist")
    response = client.post(
        url, {"action": "end_sales", "_selected_action": [live.pk, upcoming.pk]}, follow=True
    )
    assert "1 sale ended." in response.text and "Only a live sale can be ended" in response.text
    called_off = client.post(
        url, {"action": "call_off_sales", "_selected_action": [upcoming.pk, later.pk]}, follow=True
    )
    assert "2 sales called off." in called_off.text
    assert list(FlashSale.objects.values_list("pk", flat=True)) == [live.pk]
    live.refresh_from_db()
    assert live.ends_at <= timezone.now()


# --- Concurrency of one shopper ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["redis", "off"])
def test_a_double_click_gives_one_order_even_while_the_first_is_running(
    transactional_db, redis_client, settings, mode
):
    settings.MALL_FLASH_SALE_GATE = mode
    sale = schedule(sale_sku(), quantity=5)
    user, address = shopper_with_address()
    results, errors = race(lambda n: attempt(sale, user, address, key="double-click"), 6)
    assert errors == []
    assert len({order.pk for order in results}) == 1 and len(results) == 6
    sale.refresh_from_db()
    assert sale.sold == 1 and Order.objects.count() == 1
    if mode == "redis":
        assert left_in_gate(redis_client, sale) == 4


@pytest.mark.parametrize("mode", ["redis", "off"])
def test_one_shopper_racing_with_many_submits_gets_one_order(
    transactional_db, redis_client, settings, mode
):
    settings.MALL_FLASH_SALE_GATE = mode
    sale = schedule(sale_sku(), quantity=5, limit=2)
    user, address = shopper_with_address()
    results, errors = race(lambda n: attempt(sale, user, address, key=f"submit-{n}"), 6)
    assert len(results) == 1 and len(errors) == 5
    assert all(isinstance(error, flashsale.OverLimit) for error in errors), errors
    sale.refresh_from_db()
    assert sale.sold == 1 and FlashSaleClaim.objects.filter(released=False).count() == 1
    if mode == "redis":
        assert left_in_gate(redis_client, sale) == 4


def test_a_claim_released_by_several_paths_at_once_returns_its_unit_once(
    transactional_db, gate, monkeypatch
):
    """The shopper cancels while other paths (the unpaid-order job, reconcile) release the
    same claim: every path has read the claim as live, so only the conditional UPDATE
    keeps the unit from coming back more than once."""
    paths = 4
    sale = schedule(sale_sku(), quantity=5)
    user, address = shopper_with_address()
    order = attempt(sale, user, address)
    other = attempt(sale)  # a second claim, so that a double release shows in ``sold``
    assert left_in_gate(gate, sale) == 3

    release, read_as_live, released = flash_claims._release, threading.Barrier(paths), []

    def release_when_all_have_read(claim, **kwargs):
        read_as_live.wait(timeout=10)  # nobody releases before every path saw it live
        outcome = release(claim, **kwargs)
        released.append(outcome)
        return outcome

    monkeypatch.setattr(flash_claims, "_release", release_when_all_have_read)

    def path(n):
        if n == 0:
            mine = Order.objects.get(pk=order.pk)
            return ordering.cancel_order(order=mine, actor=user, reason="买错了")
        with transaction.atomic():
            return flashsale.release_claim(order=order)

    results, errors = race(path, paths)

    assert errors == [] and len(results) == paths
    assert sorted(released) == [False] * (paths - 1) + [True]
    sale.refresh_from_db()
    assert sale.sold == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    claims = dict(FlashSaleClaim.objects.values_list("order_id", "released"))
    assert claims == {order.pk: True, other.pk: False}
    assert left_in_gate(gate, sale) == 4 and set(holders(gate, sale)) == {other.user_id}


# --- The reconcile job on a real worker ----------------------------------------------------------


@pytest.mark.usefixtures("worker")
def test_a_worker_runs_the_reconcile_job_after_a_crash(request, transactional_db, redis_client):
    celery = request.getfixturevalue("worker")  # tests.catalog.test_tasks' worker
    sale = schedule(sale_sku(), quantity=5)
    attempt(sale)
    # An attempt passed the gate and its web process was killed before the database.
    flashsale_gate.pass_gate(sale=sale, user=UserFactory(), quantity=1, idempotency_key="lost")
    assert left_in_gate(redis_client, sale) == 3

    counts = celery.run(tasks.reconcile_flash_sales)
    again = celery.run(tasks.reconcile_flash_sales)

    # offers: the sale's flash price, copied again for the storefront's cards
    assert counts == {"released": 0, "drift": 0, "gates": 1, "corrected": 1, "offers": 1}
    assert again["corrected"] == 0
    assert left_in_gate(redis_client, sale) == 4
