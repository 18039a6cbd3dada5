"""The membership jobs on the real Celery worker and Redis: the tier recompute, the
points expiry and the birthday gift, each run twice to show it is idempotent."""

import datetime

import pytest
import time_machine

from marketing import tasks
from marketing.models import Membership, PointsAccount
from tests.clocks import MID_MONTH, SHANGHAI
from tests.customers.factories import UserFactory
from tests.marketing.loyalty_helpers import give_points, tiers

# The clock ticks from a fixed moment (the worker's thread reads it too).
pytestmark = pytest.mark.time_machine(MID_MONTH)


@pytest.mark.usefixtures("worker")
def test_the_worker_runs_the_tier_recompute_expiry_and_birthday_jobs(request, transactional_db):
    celery = request.getfixturevalue("worker")
    made = tiers()
    from marketing.services import loyalty

    silver = UserFactory()
    loyalty.set_tier(user=silver, tier=made["silver"], actor=None)  # figures: none
    with time_machine.travel(datetime.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)):
        old = UserFactory()
        give_points(old, 300)  # ends 2025-12-31
    give_points(old, 100)  # 2026: ends 2027-12-31
    birthday = UserFactory(birthday=datetime.date(1990, 6, 17), marketing_consent=True)

    first = celery.run(tasks.recompute_tiers)
    assert first["grace_started"] == 1 and first["members"] >= 3
    assert celery.run(tasks.recompute_tiers)["grace_started"] == 0
    assert Membership.objects.get(user=silver).downgrade_on == datetime.date(2026, 7, 17)

    assert celery.run(tasks.expire_points) == {"shoppers": 1, "points": 300}
    assert celery.run(tasks.expire_points) == {"shoppers": 0, "points": 0}
    assert PointsAccount.objects.get(user=old).balance == 100

    assert celery.run(tasks.birthday_gifts) == 1
    assert celery.run(tasks.birthday_gifts) == 0
    assert PointsAccount.objects.get(user=birthday).balance == 200
    assert celery.run(tasks.reconcile_points) == 0
