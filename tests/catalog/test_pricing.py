"""Audited, honest prices: requests, four-eyes approval, scheduling, the "was" price rule,
the product page notice, the price API, the admin and the scheduled job."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone

from catalog import tasks
from catalog.exceptions import (
    DishonestReferencePrice,
    FourEyesRequired,
    PriceRefused,
    ReasonRequired,
)
from catalog.models import PriceChange, PriceChangeRecord, SkuPrice
from catalog.services import pricing
from mall.statemachine import IllegalTransition
from tests.catalog.factories import SkuPriceFactory, make_listed_product, tea_categories
from tests.concurrency import race
from tests.customers.factories import UserFactory

DAY = datetime.timedelta(days=1)


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


@pytest.fixture
def second_operator(db):
    return UserFactory(roles=["operator"])


@pytest.fixture
def sku(db):
    product = make_listed_product(name="明前龙井", category=tea_categories(), prices=("100.00",))
    return product.skus.get()


def _history(sku, *amounts_and_days):
    """Replace the SKU's prices by a past history: (amount, days ago it began), oldest
    first; the last one is still in force."""
    SkuPrice.objects.filter(sku=sku).delete()
    now = timezone.now()
    rows = list(amounts_and_days)
    for index, (amount, days_ago) in enumerate(rows):
        ends = now - rows[index + 1][1] * DAY if index + 1 < len(rows) else None
        SkuPriceFactory(
            sku=sku, amount=Decimal(amount), valid_from=now - days_ago * DAY, valid_to=ends
        )


def _product_page(client, sku):
    return client.get(reverse("catalog:product", args=[sku.product_id]))


# --- Requests and four eyes -----------------------------------------------------------------


def test_a_small_change_applies_at_once_and_leaves_an_audit_trail(sku, operator):
    old = pricing.current_price(sku)
    change = pricing.request_price_change(
        sku=sku, amount="109.9", actor=operator, reason="成本上涨"
    )
    assert change.status == PriceChange.Status.APPLIED and not change.needs_approval
    assert change.previous_amount == Decimal("100.00")
    new = pricing.current_price(sku)
    old.refresh_from_db()
    assert (new.amount, new.change, new.set_by, new.reason) == (
        Decimal("109.90"),
        change,
        operator,
        "成本上涨",
    )
    assert old.valid_to == new.valid_from  # the old price ends exactly where the new begins
    steps = list(
        PriceChangeRecord.objects.filter(subject=change).values_list("transition", "to_state")
    )
    assert steps == [("request", "scheduled"), ("apply", "applied")]


def test_a_change_beyond_the_share_waits_for_a_second_operator(sku, operator, second_operator):
    change = pricing.request_price_change(sku=sku, amount="69.00", actor=operator, reason="清仓")
    assert change.status == PriceChange.Status.PENDING and change.needs_approval
    assert pricing.current_price(sku).amount == Decimal("100.00")

    with pytest.raises(FourEyesRequired):
        pricing.approve_price_change(change=change, actor=operator)
    change.refresh_from_db()
    assert change.status == PriceChange.Status.PENDING

    pricing.approve_price_change(change=change, actor=second_operator, reason="同意清仓")
    change.refresh_from_db()
    assert (change.status, change.approved_by) == (PriceChange.Status.APPLIED, second_operator)
    steps = change.history.order_by("pk").values_list("transition", "actor")
    assert list(steps) == [
        ("request", operator.pk),
        ("approve", second_operator.pk),
        ("apply", second_operator.pk),
    ]
    assert pricing.current_price(sku).amount == Decimal("69.00")


def test_exactly_the_share_needs_no_approval_and_the_share_is_a_setting(sku, operator, settings):
    assert (
        pricing.request_price_change(sku=sku, amount="130.00", actor=operator, reason="涨价").status
        == PriceChange.Status.APPLIED
    )
    settings.MALL_PRICE_APPROVAL_SHARE = "0.05"
    assert (
        pricing.request_price_change(sku=sku, amount="137.00", actor=operator, reason="再涨").status
        == PriceChange.Status.PENDING
    )


def test_the_database_refuses_self_approval_too(sku, operator):
    change = pricing.request_price_change(sku=sku, amount="10.00", actor=operator, reason="错价")
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_pricechange SET approved_by_id = requested_by_id WHERE id = %s",
            [change.pk],
        )


def test_only_operators_with_the_approval_right_approve(sku, operator):
    clerk = UserFactory(roles=["warehouse"])
    change = pricing.request_price_change(sku=sku, amount="10.00", actor=operator, reason="错价")
    with pytest.raises(Exception, match="may not approve"):
        pricing.approve_price_change(change=change, actor=clerk)
    change.refresh_from_db()
    assert change.status == PriceChange.Status.PENDING and change.approved_by is None


def test_rejection_needs_a_reason_and_changes_no_price(sku, operator, second_operator):
    change = pricing.request_price_change(sku=sku, amount="10.00", actor=operator, reason="错价")
    with pytest.raises(ReasonRequired):
        pricing.reject_price_change(change=change, actor=second_operator, reason=" ")
    pricing.reject_price_change(change=change, actor=second_operator, reason="价格过低")
    change.refresh_from_db()
    assert change.status == PriceChange.Status.REJECTED
    assert pricing.current_price(sku).amount == Decimal("100.00")
    with pytest.raises(IllegalTransition):
        pricing.approve_price_change(change=change, actor=second_operator)


@pytest.mark.parametrize(
    ("amount", "reference", "effective_at", "message"),
    [
        ("0", None, None, "above zero"),
        ("abc", None, None, "not an amount"),
        ("90", "80", None, "must be above the new price"),
        ("90", None, -DAY, "in the past"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(
    sku, operator, amount, reference, effective_at, message
):
    when = timezone.now() + effective_at if effective_at else None
    with pytest.raises(PriceRefused, match=message):
        pricing.request_price_change(
            sku=sku,
            amount=amount,
            reference_amount=reference,
            effective_at=when,
            actor=operator,
            reason="test",
        )
    assert not PriceChange.objects.exists()
    assert SkuPrice.objects.filter(sku=sku).count() == 1
    with pytest.raises(ReasonRequired):
        pricing.request_price_change(sku=sku, amount="99", actor=operator, reason="")


def test_concurrent_changes_of_one_sku_never_overlap(sku, operator, transactional_db):
    amounts = [Decimal("101.00") + n for n in range(6)]
    _changes, errors = race(
        lambda i: pricing.request_price_change(
            sku=sku, amount=amounts[i], actor=operator, reason="并发"
        ),
        len(amounts),
    )
    assert errors == []
    rows = list(SkuPrice.objects.filter(sku=sku).order_by("valid_from"))
    assert len(rows) == 1 + len(amounts)
    assert [row.valid_to for row in rows[:-1]] == [row.valid_from for row in rows[1:]]
    assert rows[-1].valid_to is None


# --- Scheduling and the public notice -------------------------------------------------------


def test_a_scheduled_change_is_announced_then_applied_by_the_job(client, sku, operator):
    starts = timezone.now() + 2 * DAY
    change = pricing.request_price_change(
        sku=sku, amount="118.00", actor=operator, reason="年度调价", effective_at=starts
    )
    assert change.status == PriceChange.Status.SCHEDULED

    page = _product_page(client, sku).content.decode()
    assert 'id="price-notice"' in page and "¥118.00" in page
    assert pricing.current_price(sku).amount == Decimal("100.00")
    assert pricing.apply_due_price_changes() == {"applied": 0, "cancelled": 0}

    assert pricing.apply_due_price_changes(now=starts) == {"applied": 1, "cancelled": 0}
    assert pricing.apply_due_price_changes(now=starts) == {"applied": 0, "cancelled": 0}
    price = pricing.current_price(sku, at=starts)
    assert (price.amount, price.valid_from) == (Decimal("118.00"), starts)


def test_a_pending_change_is_not_announced(client, sku, operator):
    pricing.request_price_change(
        sku=sku,
        amount="300.00",
        actor=operator,
        reason="大幅涨价",
        effective_at=timezone.now() + DAY,
    )
    assert 'id="price-notice"' not in _product_page(client, sku).content.decode()


def test_a_cancelled_change_never_applies(sku, operator):
    starts = timezone.now() + DAY
    change = pricing.request_price_change(
        sku=sku, amount="105.00", actor=operator, reason="调价", effective_at=starts
    )
    pricing.cancel_price_change(change=change, actor=operator, reason="计划变更")
    assert pricing.apply_due_price_changes(now=starts + DAY)["applied"] == 0
    assert pricing.current_price(sku, at=starts + DAY).amount == Decimal("100.00")


# --- The honest "was" price -----------------------------------------------------------------


def test_a_was_price_above_the_lowest_price_of_the_last_7_days_is_refused(sku, operator, settings):
    settings.MALL_PRICE_APPROVAL_SHARE = "0.60"  # this test is about the "was" price only
    # 100 for a month, raised to 199 two days ago: "was 199" would be a fake reduction.
    _history(sku, ("100.00", 30), ("199.00", 2))
    with pytest.raises(DishonestReferencePrice) as refused:
        pricing.request_price_change(
            sku=sku, amount="149.00", reference_amount="199.00", actor=operator, reason="促销"
        )
    error = refused.value
    assert (error.reference, error.lowest) == (Decimal("199.00"), Decimal("100.00"))
    assert "199.00" in str(error) and "100.00" in str(error)
    assert not PriceChange.objects.exists()

    honest = pricing.request_price_change(
        sku=sku, amount="89.00", reference_amount="100.00", actor=operator, reason="促销"
    )
    assert honest.status == PriceChange.Status.APPLIED


def test_prices_older_than_the_window_do_not_count(sku, operator):
    _history(sku, ("80.00", 30), ("120.00", 8))
    change = pricing.request_price_change(
        sku=sku, amount="99.00", reference_amount="120.00", actor=operator, reason="促销"
    )
    assert change.status == PriceChange.Status.APPLIED


def test_no_price_in_the_window_means_no_was_price(sku, operator):
    SkuPrice.objects.filter(sku=sku).delete()
    with pytest.raises(DishonestReferencePrice, match="had no price"):
        pricing.request_price_change(
            sku=sku, amount="50.00", reference_amount="100.00", actor=operator, reason="首发"
        )


def test_sold_prices_reported_by_the_orders_hook_bound_the_was_price(sku, operator):
    def sold(windows):
        return {sku_id: Decimal("79.00") for sku_id, _since, _until in windows}

    pricing.register_sold_price_source(sold)
    try:
        with pytest.raises(DishonestReferencePrice) as refused:
            pricing.request_price_change(
                sku=sku, amount="70.00", reference_amount="100.00", actor=operator, reason="促销"
            )
        assert refused.value.lowest == Decimal("79.00")
    finally:
        pricing._SOLD_PRICE_SOURCES.remove(sold)


def test_the_rule_is_checked_again_when_a_scheduled_change_applies(sku, operator):
    starts = timezone.now() + 3 * DAY
    change = pricing.request_price_change(
        sku=sku,
        amount="79.00",
        reference_amount="100.00",
        actor=operator,
        reason="双十二",
        effective_at=starts,
    )
    pricing.request_price_change(sku=sku, amount="90.00", actor=operator, reason="先降一点")
    assert pricing.apply_due_price_changes(now=starts) == {"applied": 0, "cancelled": 1}
    change.refresh_from_db()
    assert change.status == PriceChange.Status.CANCELLED
    assert "100.00" in change.history.last().reason and "90.00" in change.history.last().reason
    assert pricing.current_price(sku, at=starts).amount == Decimal("90.00")


def test_the_product_page_shows_an_honest_was_price_and_hides_a_dishonest_one(
    client, sku, operator, caplog
):
    pricing.request_price_change(
        sku=sku, amount="88.00", reference_amount="100.00", actor=operator, reason="促销"
    )
    page = _product_page(client, sku).content.decode()
    assert 'id="was-price"' in page and "¥100.00" in page and "¥88.00" in page

    # A row written past the service (a bad import, a hand edit) is caught at render.
    current = pricing.current_price(sku)
    SkuPrice.objects.filter(pk=current.pk).update(reference_amount=Decimal("150.00"))
    with caplog.at_level(logging.WARNING, logger="catalog.pricing"):
        page = _product_page(client, sku).content.decode()
    assert 'id="was-price"' not in page and "¥150.00" not in page
    assert "was-price hidden" in caplog.text


def test_the_product_page_query_count_does_not_grow_with_skus(
    client, operator, django_assert_max_num_queries
):
    product = make_listed_product(
        category=tea_categories(), prices=[f"{n}.00" for n in range(10, 22)]
    )
    for sku in product.skus.all():
        pricing.request_price_change(
            sku=sku,
            amount="9.00",
            reference_amount=str(pricing.current_price(sku).amount),
            actor=operator,
            reason="全场促销",
        )
    # + 2 for the 买了又买 slot (its source's ids, the goods: tests/analytics)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("catalog:product", args=[product.pk]))
    assert response.content.decode().count("was-price") >= 1


# --- The price API --------------------------------------------------------------------------


def test_the_price_endpoint_gives_the_price_its_validity_and_the_announced_change(
    client, sku, operator, django_assert_max_num_queries
):
    starts = timezone.now() + DAY
    pricing.request_price_change(
        sku=sku, amount="95.00", reference_amount="100.00", actor=operator, reason="促销"
    )
    pricing.request_price_change(
        sku=sku, amount="99.00", actor=operator, reason="恢复", effective_at=starts
    )
    with django_assert_max_num_queries(3):
        body = client.get(f"/api/v1/skus/{sku.pk}/price/").json()
    assert body["amount"] == "95.00" and body["was_price"] == "100.00"
    assert body["currency"] == "CNY"
    # The same instant, whatever zone the API writes it in (the shop's, +08:00).
    valid_from = datetime.datetime.fromisoformat(body["valid_from"])
    assert valid_from == pricing.current_price(sku).valid_from
    assert body["next_change"]["amount"] == "99.00"
    assert body["valid_until"] == body["next_change"]["effective_at"]


def test_the_price_endpoint_knows_only_goods_on_sale(client, sku):
    sku.product.status = "delisted"
    sku.product.save(update_fields=["status"])
    assert client.get(f"/api/v1/skus/{sku.pk}/price/").status_code == 404
    assert client.get("/api/v1/skus/999999/price/").status_code == 404


# --- Admin ----------------------------------------------------------------------------------


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_operators_request_and_a_second_operator_approves_in_the_admin(
    client, sku, operator, second_operator
):
    client.force_login(operator)
    response = client.post(
        reverse("admin:catalog_pricechange_add"),
        {"sku": sku.pk, "amount": "59.00", "reason": "清仓", "reference_amount": ""},
    )
    assert response.status_code == 302
    change = PriceChange.objects.get()
    assert change.status == PriceChange.Status.PENDING
    assert any("second operator" in message for message in _messages(response))

    changelist = reverse("admin:catalog_pricechange_changelist")
    own = client.post(changelist, {"action": "approve", "_selected_action": [change.pk]})
    assert any("not the one who asked" in message for message in _messages(own))
    change.refresh_from_db()
    assert change.status == PriceChange.Status.PENDING

    client.force_login(second_operator)
    mine = client.get(changelist, {"approval": "mine"})
    assert mine.context["cl"].result_count == 1
    client.post(changelist, {"action": "approve", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.status == PriceChange.Status.APPLIED
    assert pricing.current_price(sku).amount == Decimal("59.00")


def test_a_fake_was_price_is_refused_on_the_admin_form_with_its_figures(client, sku, operator):
    _history(sku, ("100.00", 30), ("199.00", 1))
    client.force_login(operator)
    response = client.post(
        reverse("admin:catalog_pricechange_add"),
        {"sku": sku.pk, "amount": "159.00", "reference_amount": "199.00", "reason": "促销"},
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "199.00" in errors and "100.00" in errors
    assert not PriceChange.objects.exists()


def test_the_audit_trail_page_shows_every_row_and_step(
    client, sku, operator, second_operator, django_assert_max_num_queries
):
    for amount in ("105.00", "60.00", "110.00"):
        change = pricing.request_price_change(sku=sku, amount=amount, actor=operator, reason="调价")
        if change.status == PriceChange.Status.PENDING:
            pricing.reject_price_change(change=change, actor=second_operator, reason="不同意")
    client.force_login(second_operator)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("admin:catalog_pricechange_audit", args=[sku.pk]))
    text = page.content.decode()
    assert text.count("<tr><td>") >= 3  # three price rows: 100, 105, 110
    assert "不同意" in text and "rejected" in text


def test_price_rows_cannot_be_added_or_edited_in_the_admin(client, sku, operator):
    client.force_login(operator)
    price = pricing.current_price(sku)
    assert client.get(reverse("admin:catalog_skuprice_change", args=[price.pk])).status_code == 200
    assert client.post(reverse("admin:catalog_skuprice_add"), {}).status_code == 403


def test_shoppers_and_warehouse_staff_cannot_request_price_changes(client, sku):
    for user in (UserFactory(), UserFactory(roles=["warehouse"])):
        client.force_login(user)
        response = client.post(
            reverse("admin:catalog_pricechange_add"),
            {"sku": sku.pk, "amount": "1.00", "reason": "x"},
        )
        assert response.status_code in (302, 403)
    assert not PriceChange.objects.exists()


# --- The scheduled job, in a real worker ----------------------------------------------------


def test_a_worker_applies_due_changes(worker, transactional_db):
    product = make_listed_product(category=tea_categories(), prices=("100.00",))
    sku = product.skus.get()
    operator = UserFactory(roles=["operator"])
    # Scheduled for later, then due. Scheduled one second ahead, it was applied at once
    # (and the worker found nothing) whenever that second passed before the service read
    # the clock: on a busy machine.
    change = pricing.request_price_change(
        sku=sku,
        amount="110.00",
        actor=operator,
        reason="调价",
        effective_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert change.status == PriceChange.Status.SCHEDULED
    PriceChange.objects.filter(pk=change.pk).update(effective_at=timezone.now())
    assert worker.run(tasks.apply_scheduled_price_changes) == {"applied": 1, "cancelled": 0}
    assert worker.run(tasks.apply_scheduled_price_changes) == {"applied": 0, "cancelled": 0}
    assert pricing.current_price(sku).amount == Decimal("110.00")
