"""Risk review: risky orders are flagged with every reason at placement and wait for an
operator, who passes them or cancels them with a reason, in the admin."""

import pytest
from django.urls import reverse

from orders.exceptions import OrderError
from orders.models import BlockedContact, Order
from orders.services import ordering
from orders.services import risk_review as review
from tests.customers.factories import AddressFactory, UserFactory
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=100)


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


def test_ordinary_orders_are_not_flagged(tea):
    order = place(items=[(tea, 2)])
    assert not order.needs_review and order.review_reasons == []


def test_every_rule_that_fires_is_a_reason(tea, settings):
    settings.MALL_REVIEW_MAX_QUANTITY = 5
    settings.MALL_REVIEW_FIRST_ORDER_TOTAL = "200.00"
    shopper = UserFactory()
    address = AddressFactory(user=shopper, mobile="13912345678", street="文三路 100 号 3 幢")
    BlockedContact.objects.create(kind="phone", value="13912345678", reason="多次拒收")
    BlockedContact.objects.create(kind="address", value="文三路100号", reason="刷单地址")
    BlockedContact.objects.create(kind="address", value="人民路", reason="无关", is_active=True)
    BlockedContact.objects.create(kind="phone", value="13900000000", reason="停用", is_active=False)

    order = place(user=shopper, address=address, items=[(tea, 6)])
    assert order.needs_review
    reasons = " | ".join(order.review_reasons)
    assert "Unusual quantity: 6" in reasons
    assert "13912345678 is blocked: 多次拒收" in reasons
    assert "“文三路100号”: 刷单地址" in reasons and "人民路" not in reasons
    assert "A first order of 270.00, above 200.00" in reasons
    assert len(order.review_reasons) == 4


def test_a_total_far_above_the_shoppers_history_is_flagged(tea, settings):
    settings.MALL_REVIEW_MIN_TOTAL = "100.00"
    shopper = UserFactory()
    address = AddressFactory(user=shopper)
    first = place(user=shopper, address=address, items=[(tea, 1)])  # 55.00
    Order.objects.filter(pk=first.pk).update(status=Order.Status.PAID)
    assert not place(user=shopper, address=address, items=[(tea, 5)]).needs_review  # 225 < 275
    big = place(user=shopper, address=address, items=[(tea, 7)])  # 315 > 5 × 55
    assert big.needs_review and "5× this shopper's average 55.00" in big.review_reasons[0]


def test_an_operator_passes_or_cancels_a_flagged_order_in_the_admin(
    client, tea, operator, settings
):
    settings.MALL_REVIEW_MAX_QUANTITY = 3
    passed = place(items=[(tea, 4)])
    cancelled = place(items=[(tea, 5)])
    ordinary = place(items=[(tea, 1)])
    client.force_login(operator)
    changelist = reverse("admin:orders_order_changelist")
    waiting = client.get(changelist, {"review": "waiting"})
    assert {o.pk for o in waiting.context["cl"].result_list} == {passed.pk, cancelled.pk}

    client.post(
        changelist,
        {
            "action": "approve_review",
            "_selected_action": [passed.pk, ordinary.pk],
            "apply": "1",
            "reason": "",
        },
    )
    passed.refresh_from_db()
    assert passed.reviewed_by == operator and passed.reviewed_at is not None
    assert passed.timeline.last().transition == "approve_review"
    assert not review.awaiting_review(passed)

    confirm = client.post(changelist, {"action": "cancel", "_selected_action": [cancelled.pk]})
    assert confirm.status_code == 200 and "reason" in confirm.context["form"].fields
    client.post(
        changelist,
        {
            "action": "cancel",
            "_selected_action": [cancelled.pk],
            "apply": "1",
            "reason": "虚假地址",
        },
    )
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled" and cancelled.timeline.last().reason == "虚假地址"
    page = client.get(reverse("admin:orders_order_change", args=[cancelled.pk])).content.decode()
    assert "Unusual quantity: 5" in page and "虚假地址" in page


def test_reviewing_twice_or_after_cancellation_is_refused(tea, operator, settings):
    settings.MALL_REVIEW_MAX_QUANTITY = 1
    order = place(items=[(tea, 2)])
    review.approve_review(order=order, actor=operator)
    with pytest.raises(OrderError, match="does not await review"):
        review.approve_review(order=order, actor=operator)
    assert order.timeline.filter(transition="approve_review").count() == 1

    flagged = place(items=[(tea, 3)])
    assert review.awaiting_review(flagged)
    ordering.cancel_order(order=flagged, actor=operator, reason="虚假地址")
    flagged.refresh_from_db()
    assert flagged.status == Order.Status.CANCELLED and not review.awaiting_review(flagged)
    with pytest.raises(OrderError, match="does not await review"):
        review.approve_review(order=flagged, actor=operator)
    flagged.refresh_from_db()
    assert (flagged.reviewed_by, flagged.reviewed_at) == (None, None)
    assert flagged.status == Order.Status.CANCELLED
    assert not flagged.timeline.filter(transition="approve_review").exists()


def test_only_operators_review_and_keep_the_blocklist(client, tea, settings):
    settings.MALL_REVIEW_MAX_QUANTITY = 1
    order = place(items=[(tea, 2)])
    changelist = reverse("admin:orders_order_changelist")
    client.force_login(UserFactory(roles=["warehouse"]))
    action_form = client.get(changelist).context["action_form"]
    actions = action_form.fields["action"].choices if action_form else []
    assert not any(name in ("approve_review", "cancel") for name, _label in actions)
    response = client.post(
        changelist, {"action": "approve_review", "_selected_action": [order.pk], "apply": "1"}
    )
    order.refresh_from_db()
    assert order.reviewed_at is None
    assert client.get(reverse("admin:orders_blockedcontact_changelist")).status_code == 403
    assert response.status_code in (200, 302)


def test_blocked_phones_are_normalized_and_fragments_not_too_short(client, operator):
    client.force_login(operator)
    add = reverse("admin:orders_blockedcontact_add")
    client.post(
        add, {"kind": "phone", "value": "+86 139-1234-5678", "reason": "拒收", "is_active": "on"}
    )
    assert BlockedContact.objects.get().value == "13912345678"
    assert BlockedContact.objects.get().created_by == operator
    bad = client.post(add, {"kind": "phone", "value": "12345", "reason": "x", "is_active": "on"})
    assert bad.status_code == 200 and bad.context["adminform"].form.errors["value"]
    short = client.post(add, {"kind": "address", "value": "北京", "reason": "x", "is_active": "on"})
    assert "at least 3 characters" in str(short.context["adminform"].form.errors["value"])
    assert BlockedContact.objects.count() == 1
