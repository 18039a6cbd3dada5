"""Tiers: a paid order lifts the shopper at once; the nightly recompute (one SQL
statement) downgrades only after the grace period, announced; every change is a history
row with its reason; VIP follows the top tier unless an operator overrides it; member
benefits price the cart through the discount-source hook."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import User
from marketing.models import Membership, TierChange
from marketing.services import loyalty
from orders.services import checkout
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.marketing.loyalty_helpers import tiers
from tests.marketing.promo_helpers import delivered, place, shopper_with_address
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


def _paid_order(shopper, address, price="300.00"):
    sku = listed_sku(price=price, stock=5)
    return delivered(place(shopper, address, [(sku, 1)]))


def test_a_paid_order_that_qualifies_upgrades_at_once_with_its_reason():
    made = tiers(silver=("500", 2), gold=("5000", 5))
    shopper, address = shopper_with_address()
    _paid_order(shopper, address)
    membership = Membership.objects.get(user=shopper)
    assert membership.tier == made["member"]
    assert (membership.spend_12m, membership.orders_12m) == (Decimal("300.00"), 1)

    _paid_order(shopper, address)

    membership.refresh_from_db()
    assert membership.tier == made["silver"]
    change = TierChange.objects.get(user=shopper)
    assert (change.from_tier, change.to_tier, change.reason) == (
        made["member"],
        made["silver"],
        TierChange.Reason.ORDER_PAID,
    )
    assert shopper.notifications.filter(title__contains="银卡").exists() or (
        shopper.notifications.filter(title__contains="Silver").exists()
    )


def test_the_nightly_recompute_downgrades_only_after_the_grace_period_with_notice():
    made = tiers(silver=("500", 2))
    shopper, address = shopper_with_address()
    _paid_order(shopper, address)
    _paid_order(shopper, address)
    assert Membership.objects.get(user=shopper).tier == made["silver"]

    # 13 months later the orders left the window: the figures say 普通会员.
    later = MID_MONTH + datetime.timedelta(days=400)
    with time_machine.travel(later):
        result = loyalty.recompute_tiers()
        assert (result.grace_started, result.downgraded) == (1, 0)
        assert loyalty.recompute_tiers().grace_started == 0  # told once
    membership = Membership.objects.get(user=shopper)
    assert membership.tier == made["silver"]
    assert membership.qualified_tier == made["member"]
    assert membership.downgrade_on == later.date() + datetime.timedelta(days=30)
    assert shopper.notifications.filter(body__contains=str(membership.downgrade_on)).count() == 1

    with time_machine.travel(later + datetime.timedelta(days=30)):
        assert loyalty.recompute_tiers().downgraded == 1
        assert loyalty.recompute_tiers().downgraded == 0
    membership.refresh_from_db()
    assert (membership.tier, membership.downgrade_on) == (made["member"], None)
    reasons = list(
        TierChange.objects.filter(user=shopper).order_by("pk").values_list("reason", flat=True)
    )
    assert reasons == [TierChange.Reason.ORDER_PAID, TierChange.Reason.GRACE_ENDED]


def test_figures_that_recover_during_the_grace_period_cancel_the_downgrade():
    made = tiers(silver=("500", 2))
    shopper, address = shopper_with_address()
    _paid_order(shopper, address)
    _paid_order(shopper, address)
    later = MID_MONTH + datetime.timedelta(days=400)
    with time_machine.travel(later):
        loyalty.recompute_tiers()
        _paid_order(shopper, address)
        _paid_order(shopper, address)
        loyalty.recompute_tiers()
    membership = Membership.objects.get(user=shopper)
    assert (membership.tier, membership.downgrade_on) == (made["silver"], None)


def test_refunds_count_against_the_spend():
    made = tiers(silver=("500", 1))
    shopper, address = shopper_with_address()
    from tests.marketing.promo_helpers import refunded

    order = _paid_order(shopper, address, price="600.00")
    assert Membership.objects.get(user=shopper).tier == made["silver"]
    refunded(order, {order.lines.get(): 1})
    loyalty.recompute_tiers()
    membership = Membership.objects.get(user=shopper)
    assert membership.spend_12m == Decimal("0.00")
    assert membership.qualified_tier == made["member"]
    assert membership.downgrade_on is not None  # the grace period runs


def test_the_recompute_is_one_statement_whatever_the_number_of_members():
    tiers(silver=("500", 1))
    shoppers = [shopper_with_address() for _ in range(3)]
    for shopper, address in shoppers:
        _paid_order(shopper, address)
    loyalty.recompute_tiers()

    def statements():
        with CaptureQueriesContext(connection) as seen:
            loyalty.recompute_tiers()
        return len(seen.captured_queries)

    few = statements()
    for shopper, address in [shopper_with_address() for _ in range(5)]:
        _paid_order(shopper, address)
    assert statements() == few


def test_vip_follows_the_top_tier_unless_an_operator_overrides_it():
    made = tiers()
    shopper = UserFactory()
    loyalty.set_tier(user=shopper, tier=made["diamond"], actor=None)
    assert User.objects.get(pk=shopper.pk).is_vip
    loyalty.set_tier(user=shopper, tier=made["diamond"], actor=None, vip_override=False)
    assert not User.objects.get(pk=shopper.pk).is_vip
    hand_set = UserFactory(is_vip=True)
    loyalty.recompute_tiers()
    assert User.objects.get(pk=hand_set.pk).is_vip  # kept as an override
    assert Membership.objects.get(user=hand_set).vip_override is True


def test_the_tier_prices_the_cart_after_the_promotions():
    made = tiers()
    shopper = UserFactory()
    loyalty.set_tier(user=shopper, tier=made["gold"], actor=None)  # 2% off, free shipping
    tea = listed_sku(price="40.00")
    lines, _problems = checkout.price_lines([(tea.pk, 1)])

    where = {"province": "浙江省", "method": "standard"}
    totals = checkout.compute_totals(lines=lines, user=shopper, **where)
    guest = checkout.compute_totals(lines=lines, **where)

    assert guest.shipping_discount == Decimal("0.00") < guest.shipping_fee
    member = [d for d in totals.discounts if d.source == "member:gold"]
    assert member and member[0].amount == Decimal("0.80")
    assert totals.shipping_discount == totals.shipping_fee
    assert totals.total == Decimal("39.20")
