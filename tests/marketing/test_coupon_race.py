"""Real races against PostgreSQL: threads let go at once, each with its own connection.
Claims never pass a template's total or a shopper's limit; one coupon or one gift card's
balance serves one order however many checkouts try at once."""

import uuid
from decimal import Decimal

import pytest

from marketing.exceptions import CouponRefused
from marketing.models import Coupon, CouponUse, GiftCard, GiftCardEntry
from marketing.services import coupons
from orders.exceptions import OrderRefused
from orders.models import Order
from orders.services import ordering
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.promo_helpers import gift_card, template
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_crowd_never_claims_more_than_the_total():
    made = template(total_quantity=10, per_shopper_limit=1)
    shoppers = [UserFactory() for _ in range(30)]

    results, errors = race(lambda i: coupons.claim_coupon(template=made, user=shoppers[i]), 30)

    assert len(results) == 10
    assert {type(error) for error in errors} == {CouponRefused}
    assert {error.code for error in errors} == {"sold_out"}
    made.refresh_from_db()
    assert made.issued == 10 == Coupon.objects.filter(template=made).count()
    assert len({coupon.user_id for coupon in results}) == 10


def test_one_shopper_clicking_many_times_gets_no_more_than_the_limit():
    made = template(total_quantity=100, per_shopper_limit=2)
    shopper = UserFactory()

    results, errors = race(lambda i: coupons.claim_coupon(template=made, user=shopper), 12)

    assert len(results) == 2
    assert len(errors) == 10 and {error.code for error in errors} == {"limit"}
    assert sorted(Coupon.objects.filter(user=shopper).values_list("claim_seq", flat=True)) == [1, 2]
    made.refresh_from_db()
    assert made.issued == 2  # the refused claims took nothing from the total


def test_one_coupon_serves_one_of_many_orders_placed_at_once():
    tea = listed_sku(price="100.00", stock=50)
    shopper = UserFactory()
    address = AddressFactory(user=shopper)
    coupon = coupons.claim_coupon(template=template(amount="20"), user=shopper)

    def place(_index):
        return ordering.place_order(
            user=shopper,
            address=address,
            items=[(tea.pk, 1)],
            shipping_method="standard",
            idempotency_key=uuid.uuid4().hex,
            choices={"coupon": [str(coupon.pk)]},
            expected_total=Decimal("80.00"),
        )

    results, errors = race(place, 8)

    # One order got the coupon. The others were refused (the coupon was taken) or, had
    # they read the wallet after the winner, priced without it (then refused here, as
    # the shopper expected 80.00): no order is ever placed twice with one coupon.
    assert len(results) == 1
    assert all(isinstance(error, OrderRefused | Exception) for error in errors)
    winner = results[0]
    assert winner.discount_total == Decimal("20.00")
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order_id) == (Coupon.Status.USED, winner.pk)
    assert CouponUse.objects.filter(coupon=coupon).count() == 1
    assert Order.objects.count() == 1


def test_one_gift_card_cannot_pay_two_checkouts_beyond_its_balance():
    tea = listed_sku(price="80.00", stock=50)
    shopper = UserFactory()
    address = AddressFactory(user=shopper)
    card = gift_card(shopper, "100.00")

    def place(_index):
        return ordering.place_order(
            user=shopper,
            address=address,
            items=[(tea.pk, 1)],
            shipping_method="express",  # 80 + 20 express: the card covers it all
            idempotency_key=uuid.uuid4().hex,
            choices={"gift_card": [str(card.pk)]},
        )

    results, errors = race(place, 8)

    # Each checkout wants 100.00 of a 100.00 card: exactly one gets it. Another may have
    # read the balance after the winner and been priced without the card (then it is a
    # normal order awaiting payment): never two paid by the card.
    paid_by_card = [order for order in results if order.stored_value_paid > 0]
    assert len(paid_by_card) == 1
    assert paid_by_card[0].status == Order.Status.PAID  # nothing left to pay
    assert all(isinstance(error, OrderRefused) for error in errors)
    card.refresh_from_db()
    assert card.balance == Decimal("0.00")
    ledger = GiftCardEntry.objects.filter(card=card)
    assert sum(ledger.values_list("amount", flat=True)) == card.balance
    assert GiftCard.objects.filter(balance__lt=0).count() == 0
