"""The operators' side in the admin: every kind of promotion written in its own form (no
JSON), submitted, approved by a second operator when deep; the promotion calendar;
coupon templates, grants from a CSV list, codes exported; gift cards issued and the
liability report; figures from SQL aggregates in a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketing.models import Coupon, CouponBatch, CouponTemplate, GiftCard, Promotion
from marketing.services import coupons
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.marketing.promo_helpers import (
    delivered,
    manjian,
    operator,
    place,
    shopper_with_address,
    template,
)
from tests.orders.factories import listed_sku

# Promotion windows, coupon validity and daily limits are read from the clock: it starts
# mid-month, mid-morning, whatever the day the tests run.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

Kind = Promotion.Kind
ADD = "/admin/marketing/promotion/add/"


def _when(hours):
    moment = timezone.localtime(timezone.now() + datetime.timedelta(hours=hours))
    return {"0": moment.strftime("%Y-%m-%d"), "1": moment.strftime("%H:%M:%S")}


def _form(kind, name, *, tiers=(), **fields):
    data = {
        "kind": kind,
        "name": name,
        "starts_at_0": _when(-1)["0"],
        "starts_at_1": _when(-1)["1"],
        "ends_at_0": _when(48)["0"],
        "ends_at_1": _when(48)["1"],
        "priority": "0",
        "basis": "amount",
        "tiers-TOTAL_FORMS": str(max(len(tiers), 1)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "5",
        "_submit": "1",
        **fields,
    }
    for n, tier in enumerate(tiers):
        for key, value in tier.items():
            data[f"tiers-{n}-{key}"] = value
    return data


@pytest.fixture
def operator_client(client):
    user = operator()
    client.force_login(user)
    client.user = user
    return client


def test_the_add_page_asks_for_the_kind_first(operator_client):
    page = operator_client.get(ADD).content.decode()
    for kind in Kind.values:
        assert f'href="?kind={kind}"' in page


@pytest.mark.parametrize(
    ("kind", "fields", "tiers", "status"),
    [
        (
            Kind.THRESHOLD_OFF,
            {},
            [{"threshold": "199", "amount_off": "20"}, {"threshold": "399", "amount_off": "50"}],
            "scheduled",
        ),
        (
            Kind.THRESHOLD_OFF,
            {"repeatable": "on", "cap": "50"},
            [{"threshold": "100", "amount_off": "10"}],
            "scheduled",
        ),
        (
            Kind.THRESHOLD_PERCENT,
            {"basis": "quantity"},
            [{"threshold": "2", "percent_off": "10"}],
            "scheduled",
        ),
        (Kind.TIMED_DISCOUNT, {"percent_off": "20"}, [], "scheduled"),
        (Kind.BUY_GET, {"buy_quantity": "2", "free_quantity": "1"}, [], "scheduled"),
        (Kind.NTH_ITEM, {"nth": "2", "percent_off": "50"}, [], "scheduled"),
        (Kind.FREE_SHIPPING, {}, [{"threshold": "88"}], "scheduled"),
        (Kind.GIFT, {}, [{"threshold": "299", "gift_quantity": "1"}], "scheduled"),
        (Kind.NEW_CUSTOMER, {}, [{"threshold": "0", "amount_off": "10"}], "pending"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_an_operator_creates_each_kind_in_its_own_form(
    operator_client, kind, fields, tiers, status
):
    page = operator_client.get(ADD, {"kind": kind})
    assert page.status_code == 200
    if kind == Kind.GIFT:
        tiers = [{**tiers[0], "gift_sku": str(listed_sku(price="29.00", name="赠品杯").pk)}]
    response = operator_client.post(
        ADD + f"?kind={kind}", _form(kind, f"测试{kind}", tiers=tiers, **fields)
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    promotion = Promotion.objects.get(name=f"测试{kind}")
    assert (promotion.kind, promotion.status) == (kind, status)
    assert promotion.tiers.count() == len(tiers)
    assert promotion.timeline.first().actor == operator_client.user


def test_a_refused_form_lists_every_problem_and_saves_nothing(operator_client):
    data = _form(Kind.THRESHOLD_OFF, "坏规则", tiers=[{"threshold": "100", "amount_off": "150"}])
    data["ends_at_0"] = _when(-5)["0"]
    data["ends_at_1"] = _when(-5)["1"]
    page = operator_client.post(ADD + "?kind=threshold_off", data).content.decode()
    assert "The promotion must end after it starts." in page
    assert "Tier 1: it cannot take off as much as its threshold." in page
    assert not Promotion.objects.exists()


def test_a_draft_is_changed_in_its_form_and_submitted_later(operator_client):
    data = _form(Kind.THRESHOLD_OFF, "草稿", tiers=[{"threshold": "100", "amount_off": "10"}])
    del data["_submit"]
    operator_client.post(ADD + "?kind=threshold_off", data)
    draft = Promotion.objects.get()
    assert draft.status == Promotion.Status.DRAFT
    url = reverse("admin:marketing_promotion_change", args=[draft.pk])
    page = operator_client.get(url).content.decode()
    assert 'name="tiers-0-threshold" value="100.00"' in page
    data = {**data, "name": "草稿改", "tiers-INITIAL_FORMS": "1", "_submit": "1"}
    operator_client.post(url, data)
    draft.refresh_from_db()
    assert (draft.name, draft.status) == ("草稿改", Promotion.Status.SCHEDULED)


def test_a_second_operator_approves_a_deep_promotion_from_the_list(client):
    first, second = operator(), operator()
    client.force_login(first)
    client.post(
        ADD + "?kind=timed_discount", _form(Kind.TIMED_DISCOUNT, "半价日", percent_off="60")
    )
    deep = Promotion.objects.get()
    assert deep.status == Promotion.Status.PENDING
    changelist = reverse("admin:marketing_promotion_changelist")
    response = client.post(
        changelist, {"action": "approve", ACTION_CHECKBOX_NAME: [deep.pk]}, follow=True
    )
    assert "Another operator must approve" in response.content.decode()
    deep.refresh_from_db()
    assert deep.status == Promotion.Status.PENDING
    client.force_login(second)
    mine = client.get(changelist, {"approval": "mine"}).content.decode()
    assert "半价日" in mine
    client.post(changelist, {"action": "approve", ACTION_CHECKBOX_NAME: [deep.pk]})
    deep.refresh_from_db()
    assert (deep.status, deep.approved_by) == (Promotion.Status.SCHEDULED, second)


def test_the_list_shows_orders_discount_and_gmv_in_a_fixed_number_of_queries(
    operator_client, django_assert_max_num_queries
):
    tea = listed_sku(price="120.00", stock=50)
    rule = manjian(("100", "10"))
    for _ in range(3):
        user, address = shopper_with_address()
        delivered(place(user, address, [(tea, 1)]))
    changelist = reverse("admin:marketing_promotion_changelist")
    with django_assert_max_num_queries(12) as captured:
        page = operator_client.get(changelist)
    row = page.context["cl"].result_list.get(pk=rule.pk)
    assert (row.sold_orders, row.discount_given, row.gmv) == (
        3,
        Decimal("30.00"),
        Decimal("330.00"),
    )
    for n in range(5):
        manjian((str(150 + n), "10"))
    with django_assert_max_num_queries(len(captured.captured_queries)):
        operator_client.get(changelist)


def test_the_calendar_shows_each_promotion_of_the_month_by_day(operator_client):
    rule = manjian(("100", "10"), name="年货节")
    page = operator_client.get(reverse("admin:marketing_promotion_calendar")).content.decode()
    assert "年货节" in page and reverse("admin:marketing_promotion_change", args=[rule.pk]) in page
    assert 'class="day on status-scheduled' in page or 'class="day on status-running' in page


def test_an_operator_writes_a_coupon_template_and_grants_it_to_a_csv_list(operator_client):
    url = "/admin/marketing/coupontemplate/add/"
    response = operator_client.post(
        url,
        {
            "name": "老客回馈券",
            "kind": "amount_off",
            "amount": "20",
            "threshold": "150",
            "valid_days": "14",
            "per_shopper_limit": "1",
            "stackable": "on",
            "channel": "grant",
        },
    )
    assert response.status_code == 302
    made = CouponTemplate.objects.get()
    shoppers = [UserFactory(phone="13911110001"), UserFactory(email="chen@example.com")]
    upload = SimpleUploadedFile(
        "list.csv", "手机号\n13911110001\nchen@example.com\n".encode("utf-8-sig")
    )
    response = operator_client.post(
        reverse("admin:marketing_coupontemplate_grant", args=[made.pk]),
        {"csv_file": upload, "reason": "双十二老客"},
    )
    assert response.status_code == 302
    assert set(Coupon.objects.values_list("user", flat=True)) == {u.pk for u in shoppers}
    batch = CouponBatch.objects.get()
    assert (batch.reason, batch.reference, batch.created_by) == (
        "双十二老客",
        "list.csv",
        operator_client.user,
    )


def test_codes_are_made_and_exported_as_csv(operator_client):
    made = template(name="直播间券", channel=CouponTemplate.Channel.CODE)
    response = operator_client.post(
        reverse("admin:marketing_coupontemplate_codes", args=[made.pk]),
        {"quantity": "50", "reason": "抖音直播"},
    )
    batch = CouponBatch.objects.get()
    assert response["Location"].endswith(f"/couponbatch/{batch.pk}/change/")
    coupons.redeem_code(code=batch.coupons.first().code, user=UserFactory())
    export = operator_client.get(reverse("admin:marketing_couponbatch_export", args=[batch.pk]))
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 51 and sum("available" in line for line in lines) == 1


def test_gift_cards_are_issued_with_a_reason_and_the_liability_adds_up(operator_client):
    shopper = UserFactory()
    response = operator_client.post(
        "/admin/marketing/giftcard/add/",
        {"face_value": "200", "quantity": "3", "reason": "年会福利"},
    )
    assert response.status_code == 302
    response = operator_client.post(
        "/admin/marketing/giftcard/add/",
        {"face_value": "100", "quantity": "1", "reason": "客诉补偿", "owner": str(shopper.pk)},
    )
    assert GiftCard.objects.get(owner=shopper).balance == Decimal("100.00")
    tea = listed_sku(price="30.00")
    user, address = shopper, shopper_with_address()[1]
    address.user = shopper
    address.save()
    card = GiftCard.objects.get(owner=shopper)
    place(user, address, [(tea, 1)], choices={"gift_card": [str(card.pk)]})  # 40.00 spent
    page = operator_client.get(reverse("admin:marketing_gift_card_liability"))
    report = page.context["report"]
    assert report["outstanding"] == report["balances"] == Decimal("660.00")
    csv = operator_client.get(reverse("admin:marketing_gift_card_liability"), {"format": "csv"})
    assert "660.00" in csv.content.decode("utf-8-sig")
