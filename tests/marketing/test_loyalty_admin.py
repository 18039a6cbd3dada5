"""Membership in the admin, as an operator uses it: tiers and their benefits in Chinese
and English, a member's tier set by hand (a history row with the operator), points
adjusted with a reason through the ledger's add form (never below zero)."""

import pytest
from django.urls import reverse

from marketing.models import Membership, PointsEntry, TierChange
from marketing.services import loyalty
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.marketing.loyalty_helpers import tiers
from tests.marketing.promo_helpers import operator

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


@pytest.mark.parametrize(
    ("language", "words"), [("zh-hans", ["会员等级", "积分倍率", "银卡"]), ("en", ["Silver"])]
)
def test_the_tiers_read_in_the_operators_language(client, language, words):
    tiers()
    client.force_login(operator())
    page = client.get(
        reverse("admin:marketing_tier_changelist"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    for word in words:
        assert word in page


def test_an_operator_sets_a_tier_by_hand_with_a_history_row(client):
    made = tiers()
    shopper = UserFactory()
    loyalty.recompute_tiers()
    staff = operator()
    client.force_login(staff)
    url = reverse("admin:marketing_membership_change", args=[shopper.pk])
    response = client.post(url, {"tier": made["gold"].pk, "vip_override": "unknown"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(user=shopper).tier == made["gold"]
    change = TierChange.objects.get(user=shopper)
    assert (change.reason, change.actor) == (TierChange.Reason.MANUAL, staff)


def test_an_operator_adjusts_points_with_a_reason_and_never_below_zero(client):
    shopper = UserFactory()
    client.force_login(operator())
    add = reverse("admin:marketing_pointsentry_add")
    response = client.post(add, {"user": shopper.pk, "points": 300, "reason": "客诉补偿"})
    assert response.status_code == 302
    assert loyalty.balance_of(shopper) == 300
    refused = client.post(add, {"user": shopper.pk, "points": -301, "reason": "扣回"})
    assert refused.status_code == 200 and "300" in refused.content.decode()
    assert loyalty.balance_of(shopper) == 300
    assert list(PointsEntry.objects.values_list("points", "reason")) == [(300, "客诉补偿")]
