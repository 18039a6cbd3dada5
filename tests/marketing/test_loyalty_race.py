"""Real races against PostgreSQL: two (or eight) checkouts spending the same points at
once; only one gets them, the balance never goes below zero and equals its ledger."""

import uuid

import pytest

from marketing.models import PointsAccount, PointsEntry
from orders.exceptions import OrderRefused
from orders.models import Order
from orders.services import ordering
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.loyalty_helpers import give_points, use_points
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("checkouts", [2, 8])
def test_checkouts_spending_the_same_points_at_once_cannot_both_succeed(checkouts):
    tea = listed_sku(price="100.00", stock=50)
    shopper = UserFactory()
    address = AddressFactory(user=shopper)
    give_points(shopper, 5000)  # pays 50.00: half of one tea

    def place(_index):
        return ordering.place_order(
            user=shopper,
            address=address,
            items=[(tea.pk, 1)],
            shipping_method="standard",
            idempotency_key=uuid.uuid4().hex,
            choices=use_points(),
        )

    results, errors = race(place, checkouts)

    # Each checkout saw 5,000 points and wanted them all: one got them. The others were
    # refused at placement, or (had they read the balance after the winner) were priced
    # without points: never two orders paid by the same points.
    with_points = [order for order in results if order.discounts.filter(source="points").exists()]
    assert len(with_points) == 1, (results, errors)
    assert all(isinstance(error, OrderRefused) for error in errors), errors
    assert len(results) + len(errors) == checkouts
    assert PointsAccount.objects.get(user=shopper).balance == 0
    ledger = PointsEntry.objects.filter(user=shopper).values_list("points", flat=True)
    assert sum(ledger) == 0
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert Order.objects.count() == len(results)
