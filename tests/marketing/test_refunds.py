"""Partial returns refund exactly what was paid for the units, and the rules are checked
again on what the order keeps: a threshold no longer reached, a lower tier, a gift kept
without its threshold each keep back what the shopper no longer earns."""

from decimal import Decimal

import pytest

from marketing.models import Promotion
from orders.models import AfterSalesLine
from tests.clocks import MID_MONTH
from tests.marketing.promo_helpers import (
    delivered,
    manjian,
    place,
    promotion,
    refunded,
    shopper_with_address,
)
from tests.orders.factories import listed_sku

# Promotion windows, coupon validity and daily limits are read from the clock: it starts
# mid-month, mid-morning, whatever the day the tests run.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


def _order(items, **kwargs):
    shopper, address = shopper_with_address()
    return delivered(place(shopper, address, items, **kwargs))


def test_a_returned_unit_gets_back_exactly_what_it_was_allocated_when_the_rest_still_qualifies():
    tea, cup, bowl = (
        listed_sku(price="120.00", name="龙井"),
        listed_sku(price="120.00", name="白茶"),
        listed_sku(price="45.00", name="茶碗"),
    )
    manjian(("199", "20"))
    order = _order([(tea, 1), (cup, 1), (bowl, 1)])
    bowl_line = order.lines.get(sku=bowl)
    assert bowl_line.discount_total == Decimal("3.16")  # 20 x 45 / 285
    case = refunded(order, {bowl_line: 1})
    assert case.refund_amount == bowl_line.paid_total == Decimal("41.84")
    assert AfterSalesLine.objects.get(case=case).refund_amount == Decimal("41.84")


def test_a_return_below_the_threshold_keeps_back_the_discount_the_rest_no_longer_earns():
    tea, cup = listed_sku(price="120.00", name="龙井"), listed_sku(price="99.00", name="杯")
    manjian(("199", "20"))
    order = _order([(tea, 1), (cup, 1)])
    tea_line, cup_line = order.lines.get(sku=tea), order.lines.get(sku=cup)
    assert (tea_line.paid_total, cup_line.paid_total) == (Decimal("109.04"), Decimal("89.96"))
    case = refunded(order, {cup_line: 1})
    # The tea alone (120) is short of 199: it costs 120 now, so of the 199 paid the
    # refund is 79.00, not the cup's 89.96.
    assert case.refund_amount == Decimal("79.00")
    reasons = " ".join(case.timeline.values_list("reason", flat=True))
    assert "79.00" in reasons
    assert "no longer earns “Spend 199, save 20” in full: ¥10.96 of it is kept back" in reasons
    last = refunded(order, {tea_line: 1})
    assert last.refund_amount == Decimal("120.00")
    assert case.refund_amount + last.refund_amount == order.goods_total - order.goods_discount


def test_a_return_that_drops_a_tier_keeps_back_the_difference():
    tea = listed_sku(price="100.00", stock=20)
    manjian(("199", "20"), ("399", "50"))
    order = _order([(tea, 4)])
    line = order.lines.get()
    assert line.discount_total == Decimal("50.00")
    case = refunded(order, {line: 1})
    # Three kept (300) earn 20 instead of 37.50 of the 50: paid 350, kept costs 280.
    assert case.refund_amount == Decimal("70.00")
    reasons = " ".join(case.timeline.values_list("reason", flat=True))
    assert "no longer earns “Spend 399, save 50” in full: ¥17.50 of it is kept back" in reasons


def test_a_gift_kept_without_its_threshold_costs_its_value_and_returning_it_costs_nothing():
    tea = listed_sku(price="80.00", stock=20)
    cup = listed_sku(price="29.00", stock=5, name="紫砂杯")
    promotion(
        Promotion.Kind.GIFT, {"threshold": Decimal("150"), "gift_sku": cup, "gift_quantity": 1}
    )
    order = _order([(tea, 2)])
    tea_line, gift_line = (
        order.lines.get(sku=tea, gift_source=""),
        order.lines.exclude(gift_source="").get(),
    )
    case = refunded(order, {tea_line: 1})
    assert case.refund_amount == Decimal("51.00")  # 80 less the kept gift's 29
    other = _order([(tea, 2)])
    tea_line = other.lines.get(sku=tea, gift_source="")
    gift_line = other.lines.exclude(gift_source="").get()
    case = refunded(other, {tea_line: 1, gift_line: 1})
    assert case.refund_amount == Decimal("80.00")


def test_buy_two_get_one_free_returning_one_refunds_nothing_for_the_free_unit_kept():
    tea = listed_sku(price="30.00", stock=20)
    promotion(Promotion.Kind.BUY_GET, buy_quantity=2, free_quantity=1)
    order = _order([(tea, 3)])
    line = order.lines.get()
    assert (line.line_total, line.discount_total) == (Decimal("90.00"), Decimal("30.00"))
    case = refunded(order, {line: 1})
    # Paid 60 for three; keeping two at full price costs 60: nothing comes back.
    assert case.refund_amount == Decimal("0.00")
    last = refunded(order, {line: 2})
    assert last.refund_amount == Decimal("60.00")
