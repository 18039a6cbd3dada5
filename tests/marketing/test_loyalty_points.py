"""Points: spent at checkout as a discount allocated to the lines, given back on
cancellation and in proportion on refunds, earned once an order can no longer be
returned at the tier's multiplier; the balance always equals the ledger."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from marketing.exceptions import PointsRefused
from marketing.models import PointsAccount, PointsEntry
from marketing.services import loyalty
from orders.models import OrderLineDiscount
from orders.services import ordering
from tests.clocks import MID_MONTH, SHANGHAI
from tests.customers.factories import UserFactory
from tests.marketing.loyalty_helpers import give_points, tiers, use_points
from tests.marketing.promo_helpers import delivered, place, refunded, shopper_with_address
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


def _ledger_sum(user) -> int:
    return sum(PointsEntry.objects.filter(user=user).values_list("points", flat=True))


def _balance(user) -> int:
    return PointsAccount.objects.get(user=user).balance


def test_points_pay_at_most_half_of_the_goods_and_fall_on_the_lines_in_proportion():
    tea, cup = listed_sku(price="100.00"), listed_sku(price="50.00", name="杯")
    shopper, address = shopper_with_address()
    give_points(shopper, 10000)

    order = place(shopper, address, [(tea, 1), (cup, 1)], choices=use_points())

    # 150.00 of goods: at most 75.00 by points (7,500 of 10,000 points at 100 = ¥1).
    points = order.discounts.get(source="points")
    assert points.amount == Decimal("75.00")
    shares = dict(
        OrderLineDiscount.objects.filter(line__order=order, source="points").values_list(
            "line__sku_id", "amount"
        )
    )
    assert shares == {tea.pk: Decimal("50.00"), cup.pk: Decimal("25.00")}
    assert _balance(shopper) == 2500 == _ledger_sum(shopper)
    assert PointsEntry.objects.get(order=order).points == -7500


def test_points_are_not_spent_unless_the_shopper_chooses_them():
    tea = listed_sku(price="100.00")
    shopper, address = shopper_with_address()
    give_points(shopper, 500)

    order = place(shopper, address, [(tea, 1)])

    assert not order.discounts.filter(source="points").exists()
    assert _balance(shopper) == 500


def test_a_cancelled_order_gives_its_points_back_once():
    tea = listed_sku(price="100.00")
    shopper, address = shopper_with_address()
    give_points(shopper, 3000)
    order = place(shopper, address, [(tea, 1)], choices=use_points())
    assert _balance(shopper) == 0

    ordering.cancel_order(order=order, actor=shopper, reason="不要了")
    loyalty.release_for_order(order=order)  # a retried hook changes nothing

    assert _balance(shopper) == 3000 == _ledger_sum(shopper)
    assert PointsEntry.objects.filter(order=order, kind="release").count() == 1


def test_a_partial_refund_gives_back_the_points_of_the_refunded_units():
    tea = listed_sku(price="100.00", stock=20)
    shopper, address = shopper_with_address()
    give_points(shopper, 20000)
    order = delivered(place(shopper, address, [(tea, 4)], choices=use_points()))
    line = order.lines.get()
    assert line.discount_total == Decimal("200.00")  # 20,000 points: half of 400.00
    assert _balance(shopper) == 0

    case = refunded(order, {line: 1})

    # One unit of four: a quarter of the points back; the money refund is what was paid.
    assert case.refund_amount == Decimal("50.00")
    assert _balance(shopper) == 5000 == _ledger_sum(shopper)
    loyalty.reverse_for_case(case=case)  # once per case
    assert _balance(shopper) == 5000


def test_points_cannot_be_taken_below_zero_even_by_sql():
    shopper = UserFactory()
    give_points(shopper, 10)
    with pytest.raises(PointsRefused):
        give_points(shopper, -11)
    assert _balance(shopper) == 10
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(user=shopper).update(balance=-1)


def test_an_adjustment_needs_the_permission_and_a_reason():
    shopper = UserFactory()
    with pytest.raises(PointsRefused):
        loyalty.adjust_points(user=shopper, points=10, reason="x", actor=UserFactory())
    with pytest.raises(PointsRefused):
        give_points(shopper, 10, reason="  ")
    assert not PointsEntry.objects.filter(user=shopper).exists()


def test_reconciliation_reports_a_balance_that_drifts_from_its_ledger():
    shopper = UserFactory()
    give_points(shopper, 100)
    assert loyalty.reconcile_points() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE marketing_pointsaccount SET balance = 150 WHERE user_id = %s", [shopper.pk]
        )
    [drift] = loyalty.reconcile_points()
    assert (drift.user_id, drift.balance, drift.ledger) == (shopper.pk, 150, 100)
    assert _balance(shopper) == 150  # reported, never "fixed"


# --- Earning -----------------------------------------------------------------------------------


def test_points_are_earned_once_the_return_windows_closed_at_the_tier_multiplier():
    made = tiers()
    tea = listed_sku(price="100.00", stock=20)
    shopper, address = shopper_with_address()
    order = delivered(place(shopper, address, [(tea, 3)]))
    loyalty.set_tier(user=shopper, tier=made["gold"], actor=None)  # ×1.5
    case = refunded(order, {order.lines.get(): 1})
    assert case.refund_amount == Decimal("100.00")

    # Within the 15-day window for faulty goods: nothing yet.
    assert loyalty.award_points() == 0
    with time_machine.travel(MID_MONTH + datetime.timedelta(days=17)):
        assert loyalty.award_points() == 1
        assert loyalty.award_points() == 0  # once per order
    entry = PointsEntry.objects.get(order=order, kind="earn")
    assert entry.points == 300  # (300.00 - 100.00 refunded) × 1 per yuan × 1.5
    assert entry.expires_on == datetime.date(2027, 12, 31)
    assert _balance(shopper) == 300 == _ledger_sum(shopper)


# --- Expiry and reminders ----------------------------------------------------------------------


def test_lots_expire_oldest_first_after_the_end_of_the_following_year():
    shopper = UserFactory()
    give_points(shopper, 1000)  # 2026: ends 2027-12-31
    with time_machine.travel(datetime.datetime(2027, 3, 1, 10, tzinfo=SHANGHAI)):
        give_points(shopper, 500)  # 2027: ends 2028-12-31
        give_points(shopper, -300)  # taken from the 2026 lot
    with time_machine.travel(datetime.datetime(2027, 12, 31, 23, tzinfo=SHANGHAI)):
        assert loyalty.expire_points() == {"shoppers": 0, "points": 0}  # still usable today
    with time_machine.travel(datetime.datetime(2028, 1, 1, 1, tzinfo=SHANGHAI)):
        assert loyalty.expire_points() == {"shoppers": 1, "points": 700}
        assert loyalty.expire_points() == {"shoppers": 0, "points": 0}
    assert _balance(shopper) == 500 == _ledger_sum(shopper)
    with time_machine.travel(datetime.datetime(2029, 1, 1, 1, tzinfo=SHANGHAI)):
        assert loyalty.expire_points() == {"shoppers": 1, "points": 500}
    assert _balance(shopper) == 0 == _ledger_sum(shopper)


def test_shoppers_hear_once_30_days_before_their_points_end():
    shopper = UserFactory()
    give_points(shopper, 800)
    with time_machine.travel(datetime.datetime(2027, 11, 30, 10, tzinfo=SHANGHAI)):
        assert loyalty.remind_expiring_points() == 0  # 31 days before
    with time_machine.travel(datetime.datetime(2027, 12, 2, 10, tzinfo=SHANGHAI)):
        assert loyalty.remind_expiring_points() == 1
        assert loyalty.remind_expiring_points() == 0
        assert loyalty.expiring_soon(shopper)[0] == 800
    assert shopper.notifications.filter(title__contains="800").count() == 1


# --- Birthday ----------------------------------------------------------------------------------


def test_a_birthday_gift_once_a_year_and_only_with_consent():
    today = MID_MONTH.date()
    glad = UserFactory(birthday=today.replace(year=1990), marketing_consent=True)
    silent = UserFactory(birthday=today.replace(year=1991), marketing_consent=False)
    other_day = UserFactory(birthday=datetime.date(1990, 1, 2), marketing_consent=True)

    assert loyalty.birthday_gifts() == 1
    assert loyalty.birthday_gifts() == 0

    assert loyalty.balance_of(glad) == 200
    assert loyalty.balance_of(silent) == loyalty.balance_of(other_day) == 0
    with time_machine.travel(MID_MONTH.replace(year=2027)):
        assert loyalty.birthday_gifts() == 1
    assert loyalty.balance_of(glad) == 400
