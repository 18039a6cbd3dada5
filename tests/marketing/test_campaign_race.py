"""A real race against PostgreSQL: many checkouts at once on a campaign's 满减 whose
budget pays for a few discounts. The budget is a hard cap: never passed, the ledger sums
to what was spent, and every discount given is booked."""

import uuid
from decimal import Decimal

import pytest

from marketing.models import Campaign, CampaignSpend
from marketing.services import campaigns
from orders.models import Order
from orders.services import ordering
from tests.concurrency import race
from tests.customers.factories import AddressFactory, UserFactory
from tests.marketing.campaign_helpers import campaign
from tests.marketing.promo_helpers import manjian
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db(transaction=True)

SHOPPERS = 16


def test_concurrent_checkouts_never_pass_the_budget():
    made = campaign(budget="100")  # five discounts of 20
    manjian(("100", "20"), campaign=made)
    tea = listed_sku(price="100.00", stock=SHOPPERS * 2)
    shoppers = [UserFactory() for _ in range(SHOPPERS)]
    addresses = [AddressFactory(user=shopper) for shopper in shoppers]

    def checkout(index):
        return ordering.place_order(
            user=shoppers[index],
            address=addresses[index],
            items=[(tea.pk, 1)],
            shipping_method="standard",
            idempotency_key=uuid.uuid4().hex,
        )

    results, errors = race(checkout, SHOPPERS)

    made.refresh_from_db()
    assert made.spent <= made.budget
    assert made.spent == campaigns.ledger_total(made.pk)
    discounted = Order.objects.filter(discount_total__gt=0)
    assert made.spent == Decimal("20.00") * discounted.count()
    assert CampaignSpend.objects.filter(campaign=made).count() == discounted.count()
    # The budget was used up to the cap: five discounts.
    assert made.spent == made.budget
    # A checkout that lost the race for the last of the budget was refused (nothing
    # written), never given a discount the budget could not pay.
    assert len(results) + len(errors) == SHOPPERS
    assert all("run out" in str(error) for error in errors)
    assert Order.objects.count() == len(results)
    assert Campaign.objects.get(pk=made.pk).spent == Decimal("100.00")
