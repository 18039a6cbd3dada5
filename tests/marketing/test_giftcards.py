"""Gift cards against the database: issued with a reason, bound to a wallet, paying part
or all of an order beside the payment provider, given back on cancellation, refunded to
the card in the proportion it paid; the ledger always adds up to the balance."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from marketing.exceptions import GiftCardRefused
from marketing.models import GiftCard, GiftCardEntry
from marketing.services import giftcards
from orders.models import Order
from orders.services import checkout, ordering
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.marketing.promo_helpers import (
    delivered,
    gift_card,
    operator,
    place,
    refunded,
    shopper_with_address,
)
from tests.orders import paying
from tests.orders.factories import listed_sku

# Promotion windows, coupon validity and daily limits are read from the clock: it starts
# mid-month, mid-morning, whatever the day the tests run.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


def _ledger_adds_up():
    for card in GiftCard.objects.all():
        total = GiftCardEntry.objects.filter(card=card).aggregate(total=Sum("amount"))["total"]
        assert total == card.balance, card


def test_cards_are_issued_with_a_reason_and_bound_once():
    actor = operator()
    with pytest.raises(GiftCardRefused, match="Say why"):
        giftcards.issue_gift_cards(face_value="100", actor=actor, reason="")
    with pytest.raises(GiftCardRefused):
        giftcards.issue_gift_cards(face_value="100", actor=UserFactory(), reason="x")
    cards = giftcards.issue_gift_cards(face_value="200", actor=actor, reason="年会福利", quantity=3)
    assert len({card.code for card in cards}) == 3
    assert all(card.balance == Decimal("200.00") for card in cards)
    shopper = UserFactory()
    bound = giftcards.bind_gift_card(number=cards[0].code.replace(" ", "-"), user=shopper)
    assert bound.owner == shopper
    with pytest.raises(GiftCardRefused, match="another wallet"):
        giftcards.bind_gift_card(number=cards[0].code, user=UserFactory())
    with pytest.raises(GiftCardRefused, match="no gift card"):
        giftcards.bind_gift_card(number="1234 5678", user=shopper)
    _ledger_adds_up()


def test_a_card_pays_part_and_the_provider_the_rest():
    tea = listed_sku(price="150.00")
    shopper, address = shopper_with_address()
    card = gift_card(shopper, "100.00")
    lines, _problems = checkout.price_lines([(tea.pk, 1)])
    totals = checkout.compute_totals(
        lines=lines,
        province="浙江省",
        method="standard",
        user=shopper,
        choices={"gift_card": [str(card.pk)]},
    )
    assert (totals.total, totals.stored_value_total, totals.amount_due) == (
        Decimal("150.00"),
        Decimal("100.00"),
        Decimal("50.00"),
    )
    order = place(shopper, address, [(tea, 1)], choices={"gift_card": [str(card.pk)]})
    assert (order.stored_value_paid, order.amount_due, order.status) == (
        Decimal("100.00"),
        Decimal("50.00"),
        Order.Status.PENDING_PAYMENT,
    )
    card.refresh_from_db()
    assert card.balance == 0
    payment = paying.pay(order)
    assert payment.amount == Decimal("50.00")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    _ledger_adds_up()


def test_an_order_the_card_covers_is_paid_at_once_and_a_cancellation_gives_it_back():
    tea = listed_sku(price="45.00")
    shopper, address = shopper_with_address()
    card = gift_card(shopper, "100.00")
    order = place(shopper, address, [(tea, 1)], choices={"gift_card": [str(card.pk)]})
    # 45 + 10 shipping, all from the card: no provider payment of zero is ever made.
    assert (order.total, order.stored_value_paid, order.status) == (
        Decimal("55.00"),
        Decimal("55.00"),
        Order.Status.PAID,
    )
    assert not order.payments.exists()
    card.refresh_from_db()
    assert card.balance == Decimal("45.00")
    ordering.cancel_order(order=order, actor=shopper, reason="不要了")
    card.refresh_from_db()
    assert card.balance == Decimal("100.00")
    kinds = list(GiftCardEntry.objects.filter(card=card).values_list("kind", "amount"))
    assert kinds == [
        ("issue", Decimal("100.00")),
        ("spend", Decimal("-55.00")),
        ("release", Decimal("55.00")),
    ]
    _ledger_adds_up()


def test_an_unpaid_order_that_times_out_gives_the_card_back():
    tea = listed_sku(price="150.00")
    shopper, address = shopper_with_address()
    card = gift_card(shopper, "100.00")
    order = place(shopper, address, [(tea, 1)], choices={"gift_card": [str(card.pk)]})
    Order.objects.filter(pk=order.pk).update(pay_by=order.placed_at)
    assert ordering.cancel_unpaid_orders() == 1
    card.refresh_from_db()
    assert card.balance == Decimal("100.00")
    _ledger_adds_up()


def test_refunds_go_back_to_the_card_in_the_proportion_it_paid():
    tea, cup = listed_sku(price="100.00"), listed_sku(price="50.00")
    shopper, address = shopper_with_address()
    card = gift_card(shopper, "60.00")
    order = place(shopper, address, [(tea, 1), (cup, 1)], choices={"gift_card": [str(card.pk)]})
    assert (order.total, order.stored_value_paid) == (Decimal("150.00"), Decimal("60.00"))
    order = delivered(order)
    first = refunded(order, {order.lines.get(sku=tea): 1})
    # 100 of 150 back: 40 % was paid by card -> 40.00 to the card, 60.00 to the provider.
    assert (first.refund_amount, first.stored_value_refund, first.refund.amount) == (
        Decimal("100.00"),
        Decimal("40.00"),
        Decimal("60.00"),
    )
    second = refunded(order, {order.lines.get(sku=cup): 1})
    assert (second.stored_value_refund, second.refund.amount) == (
        Decimal("20.00"),
        Decimal("30.00"),
    )
    card.refresh_from_db()
    assert card.balance == Decimal("60.00")
    payment = order.payments.get()
    assert payment.refunded_amount == payment.amount == Decimal("90.00")
    _ledger_adds_up()
