"""Campaigns: the plan's life with four eyes and a history, the budget booked by every
discount its offers give (a ledger that sums to ``spent``), the offers stopping at the
cap, the owner warned at 80 %, and the live and review figures in bounded queries."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Notification
from mall.statemachine import IllegalTransition
from marketing.exceptions import CampaignInvalid
from marketing.models import Campaign, CampaignSpend, CampaignStatusChange
from marketing.selectors.campaigns import live_figures, review_figures
from marketing.services import campaigns, coupons
from marketing.services import flashsales as flashsale
from orders.exceptions import OrderRefused
from orders.models import Order
from orders.services import ordering
from tests.customers.factories import UserFactory
from tests.marketing.campaign_helpers import HOUR, campaign, manager, operator, plan
from tests.marketing.promo_helpers import manjian, place, shopper_with_address, template
from tests.orders import paying
from tests.orders.factories import listed_sku

pytestmark = pytest.mark.django_db


# --- The plan's life -----------------------------------------------------------------------


def test_a_campaign_goes_from_draft_to_reviewed_with_its_history():
    author, boss = operator(), manager()
    made = campaign(author=author, state="draft")
    campaigns.submit_campaign(campaign=made, actor=author)
    campaigns.approve_campaign(campaign=made, actor=boss, reason="预算合理")
    campaigns.start_campaign(campaign=made, actor=author)
    campaigns.end_campaign(campaign=made, actor=author)
    campaigns.close_review(campaign=made, actor=author, conclusions="满减拉动客单价")

    made.refresh_from_db()
    assert made.status == Campaign.Status.REVIEWED
    assert made.conclusions == "满减拉动客单价"
    steps = list(
        CampaignStatusChange.objects.filter(subject=made).values_list("transition", "actor")
    )
    assert steps == [
        ("submit", author.pk),
        ("approve", boss.pk),
        ("start", author.pk),
        ("end", author.pk),
        ("close", author.pk),
    ]


def test_the_author_cannot_approve_even_as_a_manager():
    author = UserFactory(roles=["operator", "manager"])
    made = campaign(author=author, state="submitted")
    with pytest.raises(CampaignInvalid, match="Another manager"):
        campaigns.approve_campaign(campaign=made, actor=author)
    made.refresh_from_db()
    assert made.status == Campaign.Status.SUBMITTED


def test_the_database_refuses_an_approver_who_wrote_it():
    author = operator()
    made = campaign(author=author, state="submitted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=made.pk).update(approved_by=author)


def test_an_operator_may_not_approve():
    made = campaign(state="submitted")
    with pytest.raises(CampaignInvalid, match="manager"):
        campaigns.approve_campaign(campaign=made, actor=operator())


def test_rejection_and_cancellation_need_a_reason_and_are_recorded():
    made = campaign(state="submitted")
    boss = manager()
    with pytest.raises(CampaignInvalid):
        campaigns.reject_campaign(campaign=made, actor=boss, reason="  ")
    campaigns.reject_campaign(campaign=made, actor=boss, reason="预算过高")
    campaigns.save_campaign(actor=made.owner, data={"budget": Decimal("500")}, campaign=made)
    with pytest.raises(CampaignInvalid):
        campaigns.cancel_campaign(campaign=made, actor=made.owner, reason="")
    campaigns.cancel_campaign(campaign=made, actor=made.owner, reason="活动取消")
    made.refresh_from_db()
    assert made.status == Campaign.Status.CANCELLED and made.budget == Decimal("500.00")
    reasons = list(made.timeline.values_list("transition", "reason"))
    assert reasons[-2:] == [("reject", "预算过高"), ("cancel", "活动取消")]


def test_submitting_needs_risks_contingency_and_a_goal():
    author = operator()
    made = campaigns.save_campaign(
        actor=author,
        data=plan(
            owner=author,
            risk_assessment="",
            contingency_plan="",
            goal_gmv=Decimal(0),
            goal_orders=0,
            goal_new_customers=0,
        ),
    )
    with pytest.raises(CampaignInvalid) as refused:
        campaigns.submit_campaign(campaign=made, actor=author)
    assert len(refused.value.problems) == 3
    made.refresh_from_db()
    assert made.status == Campaign.Status.DRAFT


def test_an_illegal_step_is_refused_and_a_submitted_plan_cannot_change():
    made = campaign(state="submitted")
    with pytest.raises(IllegalTransition):
        campaigns.start_campaign(campaign=made, actor=made.owner)
    with pytest.raises(CampaignInvalid):
        campaigns.save_campaign(actor=made.owner, data={"budget": Decimal(1)}, campaign=made)


def test_the_review_cannot_be_closed_without_conclusions():
    made = campaign()
    campaigns.end_campaign(campaign=made, actor=made.owner)
    with pytest.raises(CampaignInvalid, match="conclusions"):
        campaigns.close_review(campaign=made, actor=made.owner, conclusions="   ")
    made.refresh_from_db()
    assert made.status == Campaign.Status.ENDED


def test_the_clock_job_starts_and_ends_campaigns(time_machine):
    made = campaign(state="approved")
    assert campaigns.advance_campaigns() == {"started": 1, "ended": 0}
    time_machine.move_to(made.ends_at)
    assert campaigns.advance_campaigns() == {"started": 0, "ended": 1}
    made.refresh_from_db()
    assert made.status == Campaign.Status.ENDED


# --- The budget --------------------------------------------------------------------------


def test_every_discount_is_booked_and_a_cancel_gives_it_back():
    made = campaign(budget="1000")
    manjian(("100", "20"), campaign=made)
    tea = listed_sku(price="100.00", stock=10)
    user, address = shopper_with_address()

    order = place(user, address, [(tea, 1)])

    assert order.discount_total == Decimal("20.00")
    made.refresh_from_db()
    assert made.spent == Decimal("20.00") == campaigns.ledger_total(made.pk)
    ordering.cancel_order(order=order, actor=user, reason="不要了")
    made.refresh_from_db()
    assert made.spent == Decimal("0.00") == campaigns.ledger_total(made.pk)
    kinds = sorted(CampaignSpend.objects.filter(campaign=made).values_list("kind", flat=True))
    assert kinds == ["discount", "release"]


def test_a_coupon_of_the_campaign_is_booked_too():
    made = campaign(budget="1000")
    made_template = template(amount="15", campaign=made)
    tea = listed_sku(price="100.00", stock=10)
    user, address = shopper_with_address()
    coupons.claim_coupon(template=made_template, user=user)

    order = place(user, address, [(tea, 1)])

    assert order.discount_total == Decimal("15.00")
    made.refresh_from_db()
    assert made.spent == Decimal("15.00")


def test_a_draft_campaigns_offers_give_nothing_yet():
    made = campaign(state="submitted")
    manjian(("100", "20"), campaign=made)
    tea = listed_sku(price="100.00", stock=10)
    user, address = shopper_with_address()

    order = place(user, address, [(tea, 1)])

    assert order.discount_total == Decimal("0.00")


def test_at_the_cap_the_campaigns_rules_stop_granting():
    made = campaign(budget="50")
    manjian(("100", "20"), campaign=made)
    tea = listed_sku(price="100.00", stock=10)
    totals = []
    for _ in range(4):
        user, address = shopper_with_address()
        totals.append(place(user, address, [(tea, 1)]).discount_total)

    # 20 + 20 fit in 50; the third 20 does not: no discount from then on.
    assert totals == [Decimal("20.00"), Decimal("20.00"), Decimal("0.00"), Decimal("0.00")]
    made.refresh_from_db()
    assert made.spent == Decimal("40.00") == campaigns.ledger_total(made.pk)


def test_a_booking_that_does_not_fit_refuses_the_order_and_writes_nothing():
    made = campaign(budget="30")
    tea = listed_sku(price="100.00", stock=10)
    user, address = shopper_with_address()
    order = place(user, address, [(tea, 1)])  # no discount: a real order to book against
    with pytest.raises(OrderRefused):
        campaigns.book_for_order(
            order=order, costs={made.pk: {"promotion:1": Decimal("31")}}, user=user
        )
    made.refresh_from_db()
    assert made.spent == 0 and not CampaignSpend.objects.exists()


def test_the_owner_is_warned_once_at_80_percent():
    made = campaign(budget="100")
    manjian(("100", "30"), campaign=made)
    tea = listed_sku(price="100.00", stock=10)
    for _ in range(3):
        user, address = shopper_with_address()
        place(user, address, [(tea, 1)])

    made.refresh_from_db()
    assert made.spent == Decimal("90.00") and made.warned_at is not None
    warnings = Notification.objects.filter(user=made.owner)
    assert warnings.count() == 1
    assert "80%" in warnings.get().title


# --- Live page and review ----------------------------------------------------------------


def _sold_orders(made, count, *, price="100.00"):
    tea = listed_sku(price=price, stock=count + 5, name=f"茶{count}")
    for _ in range(count):
        user, address = shopper_with_address()
        paying.pay(place(user, address, [(tea, 1)]))


def test_the_live_figures_count_the_campaigns_orders(django_assert_max_num_queries):
    made = campaign(budget="1000")
    manjian(("100", "20"), campaign=made)
    _sold_orders(made, 3)
    made.refresh_from_db()

    with django_assert_max_num_queries(4):
        figures = live_figures(made)

    assert figures["orders_placed"] == 3 == figures["orders_paid"]
    assert Decimal(figures["gmv"]) == sum(Order.objects.values_list("total", flat=True))
    assert figures["new_customers"] == 3
    assert figures["spent"] == "60.00"
    assert figures["top_items"][0]["units"] == 3


def test_the_live_figures_take_the_same_queries_for_more_orders(django_assert_max_num_queries):
    made = campaign(budget="5000")
    manjian(("100", "20"), campaign=made)
    _sold_orders(made, 2)
    with django_assert_max_num_queries(4):
        live_figures(made)
    _sold_orders(made, 8)
    with django_assert_max_num_queries(4):
        assert live_figures(made)["orders_paid"] == 10


def test_the_review_shows_goals_and_roi():
    made = campaign(budget="1000", goal_orders=2)
    manjian(("100", "20"), campaign=made)
    _sold_orders(made, 2)
    made.refresh_from_db()

    figures = review_figures(made)

    orders_goal = next(row for row in figures["goals"] if row["name"] == "orders")
    assert orders_goal["reached"] is True
    assert figures["cost"] == Decimal("40.00")
    # No purchase cost known: the margin is what was paid for the goods (2 × 80).
    assert figures["gross_margin"] == Decimal("160.00")
    assert figures["roi"] == Decimal("3.00")


def test_the_live_page_and_its_json_in_the_admin(client):
    made = campaign(budget="1000")
    watcher = operator()
    client.force_login(watcher)
    page = client.get(reverse("admin:marketing_campaign_live", args=[made.pk]))
    assert page.status_code == 200
    assert b"campaign-live" in page.content
    data = client.get(reverse("admin:marketing_campaign_live_json", args=[made.pk])).json()
    assert data["budget"] == "1000.00"
    review = client.get(reverse("admin:marketing_campaign_review", args=[made.pk]))
    assert review.status_code == 200


def test_a_shopper_cannot_watch_a_campaign(client):
    made = campaign()
    client.force_login(UserFactory())
    response = client.get(reverse("admin:marketing_campaign_live_json", args=[made.pk]))
    assert response.status_code in (302, 403)


def test_a_flash_sale_of_the_campaign_books_its_saving(redis_client):
    made = campaign(budget="100")
    tea = listed_sku(price="100.00", stock=10)
    now = timezone.now()
    sale = flashsale.schedule_sale(
        sku=tea,
        price=Decimal("59.00"),
        quantity=5,
        per_shopper_limit=2,
        starts_at=now - HOUR,
        ends_at=now + HOUR,
        actor=None,
        campaign=made,
    )
    user, address = shopper_with_address()
    order = flashsale.buy(
        sale=sale,
        user=user,
        quantity=2,
        address=address,
        shipping_method="standard",
        idempotency_key=uuid.uuid4().hex,
    )

    made.refresh_from_db()
    assert made.spent == Decimal("82.00")  # (100 - 59) x 2
    entry = CampaignSpend.objects.get(campaign=made)
    assert (entry.order_id, entry.source) == (order.pk, f"flash-sale:{sale.pk}")
    # The next one would pass the budget: refused, nothing written.
    other, other_address = shopper_with_address()
    with pytest.raises(OrderRefused):
        flashsale.buy(
            sale=sale,
            user=other,
            quantity=1,
            address=other_address,
            shipping_method="standard",
            idempotency_key=uuid.uuid4().hex,
        )
    made.refresh_from_db()
    assert made.spent == Decimal("82.00")
