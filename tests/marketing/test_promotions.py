"""Promotions end to end against the database: written and approved by operators, priced
into carts and orders, kept per line and per source, and moved by the clock."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from catalog.models import Reservation
from marketing.exceptions import PromotionInvalid
from marketing.models import AppliedOffer, FlashSale, Promotion, PromotionStatusChange
from marketing.services import promotions
from marketing.services.pricing import catalogue
from orders.models import OrderDiscount, OrderLineDiscount
from orders.selectors import orders as order_selectors
from orders.services import checkout
from tests.clocks import MID_MONTH
from tests.marketing import flashsale_helpers
from tests.marketing.promo_helpers import (
    HOUR,
    manjian,
    operator,
    place,
    promotion,
    shopper_with_address,
)
from tests.orders.factories import listed_sku

# Promotion windows, coupon validity and daily limits are read from the clock: it starts
# mid-month, mid-morning, whatever the day the tests run.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

Kind = Promotion.Kind


def _totals(items, user=None, **kwargs):
    lines, problems = checkout.price_lines([(sku.pk, n) for sku, n in items])
    assert problems == []
    return checkout.compute_totals(
        lines=lines, province="浙江省", method="standard", user=user, **kwargs
    )


def _zh(values):
    with translation.override("zh-hans"):
        return [str(value) for value in values]


def test_a_cart_gets_the_tier_it_reaches_and_the_hint_of_the_next():
    tea, cup = listed_sku(price="120.00", name="龙井"), listed_sku(price="99.00", name="杯")
    manjian(("199", "20"), ("399", "50"))
    totals = _totals([(tea, 1), (cup, 1)])
    assert (totals.goods_total, totals.discount_total, totals.total) == (
        Decimal("219.00"),
        Decimal("20.00"),
        Decimal("199.00"),
    )
    [discount] = totals.discounts
    assert _zh([discount.label]) == ["满199减20"]
    assert _zh(totals.hints) == ["再买¥180.00可减¥50"]
    assert (
        sum(d.amount for d in totals.line_discounts[tea.pk] + totals.line_discounts[cup.pk]) == 20
    )


def test_an_order_keeps_each_discount_per_source_and_per_line_to_the_cent():
    tea, cup = listed_sku(price="120.00", name="龙井"), listed_sku(price="99.00", name="杯")
    rule = manjian(("199", "20"))
    eighty = promotion(Kind.TIMED_DISCOUNT, percent_off=Decimal("10"), products=[cup.product])
    user, address = shopper_with_address()
    order = place(user, address, [(tea, 1), (cup, 1)])
    # 杯 at 9折: 99 -> 89.10 (9.90 off); 209.10 still reaches 199: 20 more, pro rata.
    assert (order.goods_total, order.discount_total, order.total) == (
        Decimal("219.00"),
        Decimal("29.90"),
        Decimal("189.10"),
    )
    rows = dict(OrderDiscount.objects.filter(order=order).values_list("source", "amount"))
    assert rows == {
        f"promotion:{eighty.pk}": Decimal("9.90"),
        f"promotion:{rule.pk}": Decimal("20.00"),
    }
    lines = {line.sku_id: line for line in order.lines.all()}
    per_line = {
        (d.line.sku_id, d.source): d.amount
        for d in OrderLineDiscount.objects.filter(line__order=order).select_related("line")
    }
    assert per_line == {
        (cup.pk, f"promotion:{eighty.pk}"): Decimal("9.90"),
        (tea.pk, f"promotion:{rule.pk}"): Decimal("11.48"),  # 20 x 120 / 209.10
        (cup.pk, f"promotion:{rule.pk}"): Decimal("8.52"),
    }
    assert lines[tea.pk].discount_total == Decimal("11.48")
    assert lines[cup.pk].discount_total == Decimal("18.42")
    assert (
        sum(line.paid_total for line in lines.values()) == order.goods_total - order.goods_discount
    )
    # The rules as applied are kept for re-checks after returns.
    assert set(AppliedOffer.objects.filter(order=order).values_list("source", flat=True)) == set(
        rows
    )
    # The order page shows them in the reader's language.
    shown = order_selectors.order_detail(number=order.number)
    assert _zh(d.text for d in shown.discounts.all()) == ["限时9折", "满199减20"]


def test_a_gift_with_purchase_is_a_free_line_reserved_from_stock():
    tea = listed_sku(price="150.00", name="龙井")
    cup = listed_sku(price="29.00", stock=3, name="紫砂杯")
    gift = promotion(Kind.GIFT, {"threshold": Decimal("99"), "gift_sku": cup, "gift_quantity": 1})
    user, address = shopper_with_address()
    order = place(user, address, [(tea, 1)])
    gift_line = order.lines.get(sku=cup)
    assert (gift_line.unit_price, gift_line.line_total, gift_line.gift_source) == (
        Decimal("0.00"),
        Decimal("0.00"),
        f"promotion:{gift.pk}",
    )
    assert gift_line.gift_value == Decimal("29.00")
    assert gift_line.reservation.status == Reservation.Status.OPEN
    assert order.total == Decimal("150.00")


def test_a_gift_out_of_stock_is_not_promised():
    tea = listed_sku(price="150.00", name="龙井")
    cup = listed_sku(price="29.00", stock=0, name="紫砂杯")
    promotion(Kind.GIFT, {"threshold": Decimal("99"), "gift_sku": cup, "gift_quantity": 1})
    assert _totals([(tea, 1)]).gifts == []


def test_free_shipping_waives_the_fee_but_not_a_remote_surcharge():
    tea = listed_sku(price="60.00")
    promotion(Kind.FREE_SHIPPING, {"threshold": Decimal("50")})
    lines, _problems = checkout.price_lines([(tea.pk, 1)])
    near = checkout.compute_totals(lines=lines, province="浙江省", method="standard")
    far = checkout.compute_totals(lines=lines, province="西藏自治区", method="standard")
    assert (near.shipping_fee, near.shipping_discount, near.total) == (
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("60.00"),
    )
    assert (far.shipping_fee, far.shipping_discount) == (Decimal("25.00"), Decimal("10.00"))


def test_new_customer_offers_stop_at_the_first_paid_order():
    from tests.orders import paying

    tea = listed_sku(price="50.00", stock=20)
    promotion(Kind.NEW_CUSTOMER, ("49", "15"))
    user, address = shopper_with_address()
    first = place(user, address, [(tea, 1)])
    assert first.discount_total == Decimal("15.00")
    assert _totals([(tea, 1)], user=user).discount_total == Decimal("15.00")  # not paid yet
    paying.pay(first)
    assert _totals([(tea, 1)], user=user).discount_total == 0


def test_flash_sale_items_take_no_promotion_unless_the_sale_says_so():
    sku = flashsale_helpers.sale_sku(price="300.00", stock=20)
    sale = flashsale_helpers.schedule(sku, price="199.00", quantity=5, limit=2)
    manjian(("150", "30"))
    user, address = shopper_with_address()
    order = place(user, address, [(sku, 1)], unit_prices={sku.pk: sale.price})
    assert order.discount_total == 0
    FlashSale.objects.filter(pk=sale.pk).update(stacks_with_promotions=True)
    order = place(user, address, [(sku, 1)], unit_prices={sku.pk: sale.price})
    assert order.discount_total == Decimal("30.00")


def test_a_promotion_applies_between_its_start_and_end_whatever_the_clock_job_did():
    tea = listed_sku(price="200.00")
    now = timezone.now()
    later = manjian(("100", "10"), starts=now + HOUR, ends=now + 2 * HOUR)
    assert later.status == Promotion.Status.SCHEDULED
    assert _totals([(tea, 1)]).discount_total == 0
    started = manjian(("100", "20"), starts=now - HOUR, ends=now + HOUR)
    # The clock job has not run: still "scheduled", and in force all the same.
    assert started.status == Promotion.Status.SCHEDULED
    assert _totals([(tea, 1)]).discount_total == Decimal("20.00")
    assert promotions.advance_promotions(now=now) == 1
    assert promotions.advance_promotions(now=now) == 0
    assert promotions.advance_promotions(now=now + 3 * HOUR) == 3  # started (1), ended (2)
    later.refresh_from_db()
    started.refresh_from_db()
    assert later.status == started.status == Promotion.Status.ENDED
    steps = list(
        PromotionStatusChange.objects.filter(subject=later).values_list("transition", flat=True)
    )
    assert steps == ["submit", "start", "end"]


def test_a_deep_promotion_waits_for_a_second_operator():
    tea = listed_sku(price="100.00")
    first, second = operator(), operator()
    deep = promotion(Kind.TIMED_DISCOUNT, percent_off=Decimal("60"), actor=first)
    assert (deep.status, deep.depth) == (Promotion.Status.PENDING, Decimal("0.6000"))
    assert _totals([(tea, 1)]).discount_total == 0  # not in force while pending
    with pytest.raises(PromotionInvalid, match="Another operator"):
        promotions.approve_promotion(promotion=deep, actor=first)
    promotions.approve_promotion(promotion=deep, actor=second)
    deep.refresh_from_db()
    assert (deep.status, deep.approved_by) == (Promotion.Status.SCHEDULED, second)
    catalogue.forget()
    assert _totals([(tea, 1)]).discount_total == Decimal("60.00")
    shallow = promotion(Kind.TIMED_DISCOUNT, percent_off=Decimal("20"), actor=first)
    assert shallow.status == Promotion.Status.SCHEDULED and shallow.approved_by is None


def test_every_problem_of_a_promotion_is_listed_and_nothing_is_saved():
    with pytest.raises(PromotionInvalid) as refused:
        promotions.save_promotion(
            data={
                "name": "",
                "kind": Kind.THRESHOLD_OFF,
                "starts_at": timezone.now(),
                "ends_at": timezone.now() - HOUR,
                "basis": Promotion.Basis.AMOUNT,
            },
            tiers=[
                {"threshold": Decimal("100"), "amount_off": Decimal("120")},
                {"threshold": Decimal("200"), "amount_off": Decimal("100")},
            ],
            actor=operator(),
        )
    assert refused.value.problems == [
        "Give the promotion a name.",
        "The promotion must end after it starts.",
        "Tier 1: it cannot take off as much as its threshold.",
        "Tier 2: a higher tier must give more.",
    ]
    assert not Promotion.objects.exists()


def test_a_promotion_price_never_raises_a_price():
    tea = listed_sku(price="50.00")
    with pytest.raises(PromotionInvalid, match="never raises a price"):
        promotion(Kind.TIMED_DISCOUNT, fixed_price=Decimal("59.00"), products=[tea.product])
    made = promotion(Kind.TIMED_DISCOUNT, fixed_price=Decimal("39.00"), products=[tea.product])
    assert made.depth == Decimal("0.2200")
    assert _totals([(tea, 2)]).discount_total == Decimal("22.00")


def test_a_started_promotion_is_ended_not_withdrawn_and_the_calendar_keeps_it():
    tea = listed_sku(price="200.00")
    rule = manjian(("100", "10"))
    actor = operator()
    with pytest.raises(PromotionInvalid):
        promotions.withdraw_promotion(promotion=rule, actor=actor)
    promotions.end_promotion(promotion=rule, actor=actor, reason="库存不足")
    rule.refresh_from_db()
    assert rule.status == Promotion.Status.ENDED and rule.ends_at <= timezone.now()
    catalogue.forget()
    assert _totals([(tea, 1)]).discount_total == 0
    reasons = list(rule.timeline.values_list("transition", "reason"))
    assert reasons[-1] == ("end", "库存不足")


def test_pricing_reads_the_same_number_of_queries_for_two_rules_or_two_hundred(
    django_assert_max_num_queries,
):
    skus = [listed_sku(price="30.00", name=f"茶{n}") for n in range(10)]
    user, _address = shopper_with_address()
    manjian(("100", "10"))
    promotion(Kind.TIMED_DISCOUNT, percent_off=Decimal("5"), products=[skus[0].product])
    lines, _problems = checkout.price_lines([(sku.pk, 1) for sku in skus])
    checkout.compute_totals(lines=lines, province="浙江省", method="standard", user=user)
    with django_assert_max_num_queries(2) as few:
        checkout.compute_totals(lines=lines, province="浙江省", method="standard", user=user)
    actor = operator()
    for n in range(100):
        manjian((str(200 + n), "10"), actor=actor)
        promotion(
            Kind.TIMED_DISCOUNT,
            percent_off=Decimal("5"),
            products=[skus[n % 10].product],
            actor=actor,
        )
    checkout.compute_totals(lines=lines, province="浙江省", method="standard", user=user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        totals = checkout.compute_totals(
            lines=lines, province="浙江省", method="standard", user=user
        )
    assert totals.discount_total > 0
