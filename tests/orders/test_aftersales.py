"""After-sales services: every transition of the case and the illegal ones, who may do
what, the windows the law gives, goods excluded from no-reason returns, claims that can
never cover more units than were bought (also two requests at once), inspection that
books resaleable goods back into stock and writes the rest off, and refunds by the
policy that pay once and never more than was paid (also many attempts at once)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from catalog.models import Product, Stock, StockMovement
from catalog.services import inventory
from customers.models import Notification
from mall import roles
from mall.statemachine import IllegalTransition
from orders import tasks
from orders.exceptions import RefundRefused
from orders.models import AfterSalesCase, AfterSalesLine, Order, Payment, Refund, Shipment
from orders.services import aftersales, payments
from orders.services.aftersales import AfterSalesError, AfterSalesRefused, Inspection
from orders.services.aftersales import inspection as aftersales_inspection
from tests.concurrency import race
from tests.customers.factories import UserFactory
from tests.orders import paying
from tests.orders.aftersales_helpers import (
    DELIVERED_AT,
    Kind,
    Reason,
    agent,
    approved,
    ask,
    delivered,
    delivered_order,
    discount,
    inspected,
    jpeg,
    local,
    operator,
    sent_back,
    staff,
    warehouse_clerk,
)
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


@pytest.fixture
def order(tea):
    """Two units at 45.00 + 10.00 shipping = 100.00, paid and delivered an hour ago."""
    return delivered_order(items=[(tea, 2)])


@pytest.fixture
def no_broker(monkeypatch):
    """Refunds enqueue their submission after commit; record it instead of sending it."""
    enqueued = []
    monkeypatch.setattr(tasks.submit_refund, "delay", enqueued.append)
    return enqueued


def _payment(order) -> Payment:
    return Payment.objects.get(order=order, status=Payment.Status.SUCCEEDED)


def _transitions(case) -> list[str]:
    return list(case.timeline.order_by("at", "pk").values_list("transition", flat=True))


def _on_hand(sku) -> int:
    return Stock.objects.get(sku=sku).on_hand


# --- Requests ------------------------------------------------------------------------------


def test_a_shopper_asks_for_a_return_of_some_units(order):
    line = order.lines.get()
    case = ask(order, units={line: 1}, description="尺码不合适")
    assert case.status == AfterSalesCase.Status.REQUESTED and case.number.startswith("AS")
    assert (case.user, case.kind, case.reason) == (order.user, Kind.RETURN, Reason.NO_REASON)
    assert list(case.lines.values_list("order_line", "quantity")) == [(line.pk, 1)]
    entry = case.timeline.get()
    assert (entry.transition, entry.from_state, entry.to_state) == ("request", "", "requested")
    assert entry.actor == order.user and entry.reason == "尺码不合适"
    assert aftersales.claimable_units(order) == {line.pk: 1}


def test_only_the_orders_shopper_may_ask(order):
    with pytest.raises(PermissionDenied):
        aftersales.request_case(
            order=order,
            actor=UserFactory(),
            kind=Kind.RETURN,
            reason=Reason.NO_REASON,
            lines=[(order.lines.get(), 1)],
        )
    assert not AfterSalesCase.objects.exists()


def test_an_order_not_delivered_yet_is_refused(tea):
    paid = place(items=[(tea, 1)])
    paying.pay(paid)
    with pytest.raises(AfterSalesRefused, match="once the order has been delivered"):
        ask(paid)


def test_every_problem_is_listed_at_once_and_nothing_is_written(tea):
    fresh = listed_sku(price="30.00", stock=5, name="阳澄湖大闸蟹")
    Product.objects.filter(pk=fresh.product_id).update(
        no_reason_return=False, after_sales_terms="鲜活易腐商品，不支持七天无理由退货。"
    )
    order = delivered_order(items=[(tea, 1), (fresh, 1)], at=local(2026, 3, 1, 20, 0))
    tea_line, crab_line = order.lines.order_by("sku_id")
    with pytest.raises(AfterSalesRefused) as refused:
        ask(order, units={tea_line: 3, crab_line: 1}, now=local(2026, 3, 10, 9, 0))
    problems = refused.value.problems
    assert len(problems) == 3
    assert "until 2026-03-08" in problems[0]
    assert "at most 1 of the 1 units" in problems[1]
    assert "阳澄湖大闸蟹 cannot be returned without a reason: 鲜活易腐商品" in problems[2]
    assert not AfterSalesCase.objects.exists() and not AfterSalesLine.objects.exists()


def test_goods_excluded_from_no_reason_returns_can_still_be_claimed_when_faulty(tea):
    Product.objects.filter(pk=tea.product_id).update(no_reason_return=False, after_sales_terms="")
    order = delivered_order(items=[(tea, 1)])
    with pytest.raises(AfterSalesRefused, match="excluded by law"):
        ask(order)
    case = ask(order, reason=Reason.QUALITY)
    assert case.status == "requested"


def test_faults_need_a_photo_and_a_change_of_mind_only_a_return(order):
    with pytest.raises(AfterSalesRefused, match="at least one photo"):
        ask(order, reason=Reason.DAMAGED, photos=[])
    for kind in (Kind.EXCHANGE, Kind.REFUND, Kind.REPAIR):
        with pytest.raises(AfterSalesRefused, match="Without a fault only a return"):
            ask(order, kind=kind, reason=Reason.NO_REASON)
    with pytest.raises(AfterSalesRefused, match="Choose at least one item"):
        ask(order, units={order.lines.get(): 0})
    with pytest.raises(AfterSalesRefused, match="Choose the reason"):
        ask(order, reason="bored")


@pytest.mark.parametrize(
    ("kind", "reason", "last_ok", "first_late"),
    [
        # Delivered 1 March 20:00: the 7 days count from 2 March and end on 8 March.
        (Kind.RETURN, Reason.NO_REASON, (2026, 3, 8, 23, 59), (2026, 3, 9, 0, 1)),
        (Kind.RETURN, Reason.QUALITY, (2026, 3, 16, 23, 59), (2026, 3, 17, 0, 1)),
        (Kind.EXCHANGE, Reason.DAMAGED, (2026, 3, 16, 12, 0), (2026, 3, 17, 12, 0)),
        (Kind.REFUND, Reason.MISSING, (2026, 3, 16, 12, 0), (2026, 3, 17, 12, 0)),
        (Kind.REPAIR, Reason.QUALITY, (2027, 3, 1, 12, 0), (2027, 3, 2, 12, 0)),
    ],
)
def test_the_windows_count_days_after_delivery(tea, kind, reason, last_ok, first_late):
    order = delivered_order(items=[(tea, 1)], at=local(*DELIVERED_AT.timetuple()[:5]))
    with pytest.raises(AfterSalesRefused, match=r"until|ended on") as refused:
        ask(order, kind=kind, reason=reason, now=local(*first_late))
    assert len(refused.value.problems) == 1
    assert ask(order, kind=kind, reason=reason, now=local(*last_ok)).status == "requested"


def test_the_windows_come_from_settings(tea, settings):
    settings.MALL_NO_REASON_RETURN_DAYS = 10
    order = delivered_order(items=[(tea, 1)], at=local(2026, 3, 1, 20, 0))
    assert aftersales.claim_deadline(
        order, kind=Kind.RETURN, reason=Reason.NO_REASON
    ).isoformat() == ("2026-03-11")
    assert ask(order, now=local(2026, 3, 11, 18, 0)).status == "requested"


def test_units_cannot_be_claimed_twice_but_come_free_when_a_case_ends_without(order):
    line = order.lines.get()
    first = ask(order, units={line: 1})
    with pytest.raises(AfterSalesRefused, match="at most 1 of the 2"):
        ask(order, units={line: 2})
    second = ask(order, units={line: 1}, reason=Reason.QUALITY, kind=Kind.EXCHANGE)
    assert aftersales.claimable_units(order) == {line.pk: 0}
    # A withdrawn or rejected case gives its units back.
    aftersales.withdraw_case(case=first, actor=order.user)
    aftersales.reject_case(case=second, actor=agent(), reason="照片显示为人为损坏")
    aftersales.close_case(case=second, actor=agent())
    assert aftersales.claimable_units(order) == {line.pk: 2}


def test_an_exchange_or_repair_covers_its_units_only_while_it_is_open(order):
    line = order.lines.get()
    case = ask(order, kind=Kind.REPAIR, reason=Reason.QUALITY)
    approved(case)
    sent_back(case)
    inspected(case, results={})
    assert aftersales.claimable_units(order) == {line.pk: 0}
    aftersales.repair_case(
        case=case, actor=warehouse_clerk(), note="更换电池，顺丰 SF9988776655 寄回"
    )
    assert aftersales.claimable_units(order) == {line.pk: 2}


def test_two_requests_at_once_cannot_claim_the_same_units(transactional_db):
    order = delivered_order(items=[(listed_sku(price="45.00", stock=10), 2)])
    line_pk = order.lines.get().pk

    made, refused = race(
        lambda i: aftersales.request_case(
            order=order,
            actor=order.user,
            kind=Kind.RETURN,
            reason=Reason.NO_REASON,
            lines=[(line_pk, 2)],
        ),
        4,
    )

    assert len(made) == 1 and len(refused) == 3
    assert all(isinstance(error, AfterSalesRefused) for error in refused), refused
    assert sum(AfterSalesLine.objects.values_list("quantity", flat=True)) == 2


def test_photos_are_re_encoded_without_exif_and_kept_under_the_case(order):
    case = ask(order, reason=Reason.DAMAGED, photos=[jpeg(exif=True), jpeg("b.png", color="navy")])
    photos = list(case.photos.all())
    assert len(photos) == 2
    for photo in photos:
        assert photo.image.name.startswith(f"aftersales/{case.pk}/")
        assert photo.image.name.endswith(".jpg")
        with photo.image.open("rb") as stored:
            data = stored.read()
        assert b"SecretCam" not in data
        image = Image.open(photo.image.path)
        assert image.format == "JPEG" and not image.getexif()


def test_an_upload_that_is_not_an_image_is_refused(order):
    fake = jpeg("evil.jpg")
    fake.file.seek(0)
    fake.file.truncate()
    fake.file.write(b"<?php system($_GET['c']); ?>")
    fake.file.seek(0)
    with pytest.raises(AfterSalesRefused, match="not an image"):
        ask(order, reason=Reason.DAMAGED, photos=[fake])
    too_many = [jpeg(f"{n}.jpg") for n in range(aftersales.MAX_PHOTOS + 1)]
    with pytest.raises(AfterSalesRefused, match="at most 6 photos"):
        ask(order, reason=Reason.DAMAGED, photos=too_many)
    assert not AfterSalesCase.objects.exists()


# --- The life of a case --------------------------------------------------------------------


def test_a_return_goes_from_request_to_refund_and_stock(order, tea):
    shopper = order.user
    case = ask(order)
    on_hand = _on_hand(tea)

    follow = aftersales.approve_case(case=case, actor=agent(), note="请保持吊牌完好")
    assert follow.case.status == "approved" and follow.problem == ""
    notice = Notification.objects.filter(user=shopper).latest("pk")
    assert case.number in notice.title and "退货中心" in notice.body
    assert notice.link == f"/after-sales/{case.number}/"

    case = sent_back(case, tracking=" sf1234567890 ")
    assert (case.status, case.return_carrier, case.return_tracking_number) == (
        "in_transit",
        "sf",
        "SF1234567890",
    )

    clerk = warehouse_clerk()
    line = case.lines.get()
    follow = inspected(
        case,
        by=clerk,
        results={line.pk: Inspection(resaleable=1, written_off=1, write_off_reason="外壳碎裂")},
    )
    case = follow.case
    assert follow.problem == ""
    assert case.status == "refunded" and case.inspected_by == clerk
    line.refresh_from_db()
    assert (line.resaleable, line.written_off, line.write_off_reason) == (1, 1, "外壳碎裂")
    # The resaleable unit is back on hand with a return movement; the other stays out.
    assert _on_hand(tea) == on_hand + 1
    movement = StockMovement.objects.get(kind=StockMovement.Kind.RETURN)
    assert (movement.quantity, movement.reference, movement.actor) == (1, case.number, clerk)
    # Refunded by the policy: two units back, no shipping for a change of mind.
    assert (case.refund_amount, case.shipping_refund) == (Decimal("90.00"), Decimal("0.00"))
    refund = case.refund
    assert refund.idempotency_key == f"aftersales-{case.number}"
    assert refund.amount == Decimal("90.00") and refund.status == Refund.Status.PENDING
    assert _payment(order).refunded_amount == Decimal("90.00")
    line.refresh_from_db()
    assert line.refund_amount == Decimal("90.00")
    assert "90.00" in Notification.objects.filter(user=shopper).latest("pk").title

    aftersales.close_case(case=case, actor=clerk)
    case.refresh_from_db()
    assert case.status == "closed"
    assert _transitions(case) == [
        "request",
        "approve",
        "send_back",
        "receive",
        "refund",
        "close",
    ]
    receive = case.timeline.get(transition="receive")
    assert "1 back to stock, 1 written off (外壳碎裂)" in receive.reason


def test_a_refund_without_return_is_paid_on_approval(order):
    line = order.lines.get()
    case = ask(order, kind=Kind.REFUND, reason=Reason.MISSING, units={line: 1})
    follow = aftersales.approve_case(case=case, actor=staff(roles.SUPPORT_SUPERVISOR))
    case = follow.case
    # One of two units: 45.00, and half the shipping because the goods were at fault.
    assert case.status == "refunded"
    assert (case.refund_amount, case.shipping_refund) == (Decimal("45.00"), Decimal("5.00"))
    assert case.refund.amount == Decimal("50.00")
    with pytest.raises(AfterSalesError, match="needs no parcel"):
        sent_back(case)
    assert _transitions(case) == ["request", "approve", "refund"]


def test_an_exchange_sends_a_replacement_after_inspection(order, tea):
    case = ask(order, kind=Kind.EXCHANGE, reason=Reason.QUALITY, units={order.lines.get(): 1})
    approved(case)
    sent_back(case)
    line = case.lines.get()
    follow = inspected(
        case, results={line.pk: Inspection(written_off=1, write_off_reason="无法开机")}
    )
    case = follow.case
    assert follow.problem == "" and case.status == "replacement_shipped"
    shipment = case.replacement
    assert shipment.order_id == order.pk and shipment.status == Shipment.Status.PICKING
    assert case.number in shipment.note
    assert list(shipment.lines.values_list("order_line", "quantity")) == [(line.order_line_id, 1)]
    assert case.refund is None and case.refund_amount is None
    assert _transitions(case) == ["request", "approve", "send_back", "receive", "ship_replacement"]
    aftersales.close_case(case=case, actor=agent())


def test_an_exchange_waits_when_stock_is_short_and_is_sent_later(db):
    last = listed_sku(price="45.00", stock=1)
    order = delivered_order(items=[(last, 1)])
    case = ask(order, kind=Kind.EXCHANGE, reason=Reason.DAMAGED)
    approved(case)
    sent_back(case)
    clerk = warehouse_clerk()
    line = case.lines.get()
    follow = inspected(
        case, by=clerk, results={line.pk: Inspection(written_off=1, write_off_reason="碎")}
    )
    assert follow.case.status == "received" and "out of stock" in follow.problem
    inventory.receive_stock(
        sku=last, warehouse=Stock.objects.get(sku=last).warehouse, quantity=5, actor=None
    )
    shipments = aftersales.ship_replacement(case=case, actor=clerk)
    case.refresh_from_db()
    assert case.status == "replacement_shipped" and case.replacement == shipments[0]


def test_a_repair_is_received_without_stock_and_recorded(order, tea):
    case = ask(order, kind=Kind.REPAIR, reason=Reason.QUALITY)
    approved(case)
    sent_back(case)
    on_hand = _on_hand(tea)
    clerk = warehouse_clerk()
    line = case.lines.get()
    with pytest.raises(AfterSalesRefused, match="go back to the shopper"):
        inspected(case, by=clerk, results={line.pk: Inspection(resaleable=1)})
    follow = inspected(case, by=clerk, results={}, note="收到，外观完好")
    assert follow.case.status == "received" and _on_hand(tea) == on_hand
    with pytest.raises(AfterSalesError, match="Say what was repaired"):
        aftersales.repair_case(case=case, actor=clerk, note=" ")
    aftersales.repair_case(case=case, actor=clerk, note="更换主板，顺丰 SF1111111111 寄回")
    case.refresh_from_db()
    assert case.status == "repaired"
    aftersales.close_case(case=case, actor=clerk)
    assert _transitions(case) == ["request", "approve", "send_back", "receive", "repair", "close"]


def test_a_rejection_needs_a_reason_and_tells_the_shopper(order):
    case = ask(order)
    with pytest.raises(AfterSalesError, match="Say why"):
        aftersales.reject_case(case=case, actor=agent(), reason="  ")
    aftersales.reject_case(case=case, actor=agent(), reason="已超过七天")
    case.refresh_from_db()
    assert case.status == "rejected"
    assert case.timeline.get(transition="reject").reason == "已超过七天"
    assert Notification.objects.filter(user=order.user, body="已超过七天").exists()
    aftersales.close_case(case=case, actor=agent())
    assert _transitions(case) == ["request", "reject", "close"]


def test_a_shopper_withdraws_before_the_goods_travel(order):
    case = ask(order)
    approved(case)
    with pytest.raises(PermissionDenied):
        aftersales.withdraw_case(case=case, actor=UserFactory())
    aftersales.withdraw_case(case=case, actor=order.user, reason="不退了")
    case.refresh_from_db()
    assert case.status == "withdrawn"
    assert _transitions(case) == ["request", "approve", "withdraw"]


def test_illegal_transitions_raise_and_change_nothing(order):
    case = ask(order)
    clerk = warehouse_clerk()
    with pytest.raises(IllegalTransition, match="send the goods back"):
        sent_back(case)
    with pytest.raises(IllegalTransition):
        inspected(case, by=clerk)
    with pytest.raises(IllegalTransition, match="close"):
        aftersales.close_case(case=case, actor=clerk)
    approved(case)
    with pytest.raises(IllegalTransition, match="approve"):
        approved(case)
    with pytest.raises(IllegalTransition, match="reject"):
        aftersales.reject_case(case=case, actor=agent(), reason="晚了")
    with pytest.raises(IllegalTransition, match="refund"):
        aftersales.refund_case(case=case, actor=clerk)  # a return is refunded once received
    sent_back(case)
    with pytest.raises(IllegalTransition, match="withdraw"):
        aftersales.withdraw_case(case=case, actor=order.user)
    with pytest.raises(IllegalTransition):
        sent_back(case, tracking="YT0000000001")
    inspected(case, by=clerk)
    with pytest.raises(IllegalTransition, match="ship the replacement"):
        aftersales.ship_replacement(case=case, actor=clerk)
    with pytest.raises(IllegalTransition, match="send back repaired"):
        aftersales.repair_case(case=case, actor=clerk, note="修好了")
    with pytest.raises(IllegalTransition):
        inspected(case, by=clerk)
    case.refresh_from_db()
    assert case.status == "refunded" and Refund.objects.count() == 1
    assert _transitions(case) == ["request", "approve", "send_back", "receive", "refund"]


def test_bad_tracking_numbers_and_inspections_are_refused(order):
    case = ask(order)
    approved(case)
    with pytest.raises(AfterSalesRefused, match="tracking number"):
        sent_back(case, tracking="12")
    with pytest.raises(PermissionDenied):
        aftersales.send_back(
            case=case, actor=UserFactory(), carrier="sf", tracking_number="SF1234567"
        )
    sent_back(case)
    line = case.lines.get()
    clerk = warehouse_clerk()
    for results, message in [
        ({line.pk: Inspection(resaleable=2, written_off=1, write_off_reason="x")}, "2 units were"),
        ({line.pk: Inspection(written_off=1)}, "say why units are written off"),
        ({line.pk: Inspection(resaleable=-1)}, "cannot be negative"),
        ({}, "at least one unit"),
        ({line.pk: Inspection(resaleable=1)}, "Fewer units arrived"),
    ]:
        with pytest.raises(AfterSalesRefused, match=message):
            inspected(case, by=clerk, results=results)
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).exists()
    # One unit missing from the parcel: received with a note, refunded for what arrived.
    follow = inspected(case, by=clerk, results={line.pk: Inspection(resaleable=1)}, note="少一件")
    assert follow.case.refund_amount == Decimal("45.00")


@pytest.mark.parametrize("role", [None, roles.OPERATOR, roles.WAREHOUSE, roles.ANALYST])
def test_only_support_decides(order, role):
    case = ask(order)
    actor = order.user if role is None else staff(role)
    with pytest.raises(PermissionDenied):
        aftersales.approve_case(case=case, actor=actor)
    with pytest.raises(PermissionDenied):
        aftersales.reject_case(case=case, actor=actor, reason="不行")
    case.refresh_from_db()
    assert case.status == "requested"


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.SUPPORT_AGENT, roles.ANALYST])
def test_only_the_warehouse_receives(order, role):
    case = ask(order)
    approved(case)
    sent_back(case)
    with pytest.raises(PermissionDenied):
        inspected(case, by=staff(role))
    with pytest.raises(PermissionDenied):
        inspected(case, by=order.user)


# --- Money back ----------------------------------------------------------------------------


def test_faulty_goods_refund_the_shipping_share_and_the_parts_add_up(order):
    line = order.lines.get()
    first = ask(order, kind=Kind.REFUND, reason=Reason.DAMAGED, units={line: 1})
    second = ask(order, kind=Kind.REFUND, reason=Reason.QUALITY, units={line: 1})
    approved(first)
    approved(second)
    for case in (first, second):
        case.refresh_from_db()
        assert (case.refund_amount, case.shipping_refund) == (Decimal("45.00"), Decimal("5.00"))
    payment = _payment(order)
    assert payment.refunded_amount == payment.amount == Decimal("100.00")


def test_a_change_of_mind_refunds_no_shipping(order):
    case = ask(order, units={order.lines.get(): 1})
    approved(case)
    sent_back(case)
    case = inspected(case, note="只寄回一件").case
    assert (case.refund_amount, case.shipping_refund) == (Decimal("45.00"), Decimal("0.00"))


def test_discounts_are_shared_pro_rata_and_rounding_never_pays_more(db):
    cup = listed_sku(price="10.00", stock=10, name="杯子")
    with discount("10.00"):
        order = delivered_order(items=[(cup, 3)])
    assert (order.goods_total, order.discount_total, order.total) == (
        Decimal("30.00"),
        Decimal("10.00"),
        Decimal("30.00"),
    )
    line = order.lines.get()
    amounts = []
    for _unit in range(3):
        case = ask(order, kind=Kind.REFUND, reason=Reason.QUALITY, units={line: 1})
        amounts.append(approved(case).refund_amount)
        case.refresh_from_db()
        assert case.shipping_refund in (Decimal("3.33"), Decimal("3.34"))
    assert amounts == [Decimal("6.67"), Decimal("6.66"), Decimal("6.67")]
    assert sum(amounts) == Decimal("20.00")
    payment = _payment(order)
    assert payment.refunded_amount == payment.amount == Decimal("30.00")


def test_the_refund_policy_is_one_function(order):
    case = ask(order, kind=Kind.REFUND, reason=Reason.NOT_AS_DESCRIBED)
    case.refresh_from_db()
    due = aftersales.refund_due(case)
    assert (due.goods, due.shipping, due.total) == (
        Decimal("90.00"),
        Decimal("10.00"),
        Decimal("100.00"),
    )
    assert due.lines == {case.lines.get().pk: Decimal("90.00")}
    aftersales.withdraw_case(case=case, actor=order.user)
    exchange = ask(order, kind=Kind.EXCHANGE, reason=Reason.QUALITY)
    assert aftersales.refund_due(exchange).total == 0


def test_refunds_never_exceed_what_was_paid_across_cases(order):
    # Money already went back another way (a price protection, a logistics claim, ...).
    payments.refund(
        payment=_payment(order),
        amount="60.00",
        reason="价格保护",
        idempotency_key="price-protect-1",
        actor=None,
    )
    case = ask(order, kind=Kind.REFUND, reason=Reason.QUALITY)
    follow = aftersales.approve_case(case=case, actor=agent())
    # The approval stands; the refund waits for a person, and nothing was paid.
    assert follow.case.status == "approved" and "At most 40.00" in follow.problem
    case.refresh_from_db()
    assert case.refund is None and case.refund_amount is None
    assert not case.lines.filter(refund_amount__isnull=False).exists()
    with pytest.raises(RefundRefused, match=r"At most 40\.00"):
        aftersales.refund_case(case=case, actor=operator())
    assert _payment(order).refunded_amount == Decimal("60.00")
    # The only refund is the price protection: nothing was written for the case.
    assert list(Refund.objects.values_list("idempotency_key", "amount")) == [
        ("price-protect-1", Decimal("60.00"))
    ]


def test_a_repeated_refund_returns_the_first(order):
    case = ask(order, kind=Kind.REFUND, reason=Reason.QUALITY)
    case = approved(case)
    first = case.refund
    assert aftersales.refund_case(case=case, actor=operator()) == first
    assert aftersales.retry_refund(case=case, actor=operator()) == first
    assert Refund.objects.count() == 1
    assert _payment(order).refunded_amount == Decimal("100.00")


def test_a_refund_the_provider_refused_can_be_submitted_again(order):
    case = approved(ask(order, kind=Kind.REFUND, reason=Reason.QUALITY))
    Refund.objects.filter(pk=case.refund_id).update(
        status=Refund.Status.FAILED, last_error="temporary refusal"
    )
    again = aftersales.retry_refund(case=case, actor=operator())
    assert again.pk == case.refund_id and again.status == Refund.Status.SUCCEEDED
    assert paying.trade_of(_payment(order)).refunds.count() == 1


def test_concurrent_refunds_of_one_case_pay_once(transactional_db, no_broker):
    order = delivered_order(items=[(listed_sku(price="45.00", stock=10), 2)])
    case = ask(order)
    approved(case)
    sent_back(case)
    # Received while the automatic refund is held back: many people and jobs refund at once.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            aftersales_inspection, "_follow_up", lambda case, actor: aftersales.FollowUp(case=case)
        )
        inspected(case)
    clerk, staff_operator = warehouse_clerk(), operator()

    def run(index):
        actor = clerk if index % 2 else staff_operator
        attempt = aftersales.refund_case if index % 3 else aftersales.retry_refund
        return attempt(case=AfterSalesCase(pk=case.pk, order_id=order.pk), actor=actor)

    refunds, errors = race(run, 8)

    assert errors == []
    assert len(refunds) == 8 and len({refund.pk for refund in refunds}) == 1
    assert Refund.objects.count() == 1 and len(no_broker) == 1
    payment = _payment(order)
    assert payment.refunded_amount == Decimal("90.00")
    case.refresh_from_db()
    assert case.status == "refunded" and _transitions(case).count("refund") == 1
    # The provider pays it once, however often it is submitted.
    payments.submit_refund(refund=case.refund)
    payments.submit_refund(refund=case.refund)
    assert paying.trade_of(payment).refunds.count() == 1


def test_concurrent_refunds_of_several_cases_of_one_order_add_up_to_what_was_paid(
    transactional_db, no_broker
):
    cup = listed_sku(price="10.00", stock=10, name="杯子")
    bowl = listed_sku(price="7.00", stock=10, name="碗")
    with discount("10.00"):
        order = delivered_order(items=[(cup, 3), (bowl, 2)])
    paid_goods = order.goods_total - order.discount_total
    assert (order.goods_total, paid_goods) == (Decimal("44.00"), Decimal("34.00"))
    assert order.shipping_fee > 0
    # Five faulty units, one case each, approved while the automatic refund is held back.
    # Each case alone would be refunded 7.73 (a cup) or 5.41 (a bowl): 34.01 in all. Only
    # cases that see the ones refunded before them (the order's row lock serializes
    # them) add up to the cent.
    cup_line, bowl_line = order.lines.get(sku=cup), order.lines.get(sku=bowl)
    cases = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            aftersales_inspection, "_follow_up", lambda case, actor: aftersales.FollowUp(case=case)
        )
        for line in [cup_line] * 3 + [bowl_line] * 2:
            case = ask(order, kind=Kind.REFUND, reason=Reason.QUALITY, units={line: 1})
            cases.append(approved(case))
    staff_operator = operator()

    refunds, errors = race(
        lambda i: aftersales.refund_case(
            case=AfterSalesCase(pk=cases[i].pk, order_id=order.pk), actor=staff_operator
        ),
        len(cases),
    )

    assert errors == []
    assert len({refund.pk for refund in refunds}) == len(cases) == Refund.objects.count()
    lines = AfterSalesLine.objects.filter(case__order=order)
    assert sum(lines.values_list("refund_amount", flat=True)) == paid_goods
    refunded = AfterSalesCase.objects.filter(order=order)
    assert {case.status for case in refunded} == {"refunded"}
    assert sum(case.refund_amount for case in refunded) == paid_goods
    # Every unit was faulty, so the whole shipping fee comes back, and not a cent more.
    assert sum(case.shipping_refund for case in refunded) == order.shipping_fee
    for case in refunded:
        assert case.refund.amount == case.refund_amount + case.shipping_refund
    payment = _payment(order)
    assert sum(Refund.objects.values_list("amount", flat=True)) == payment.refunded_amount
    assert payment.refunded_amount == payment.amount == paid_goods + order.shipping_fee
    assert len(no_broker) == len(cases)


def test_a_completed_order_can_still_be_claimed_within_the_window(tea):
    order = delivered_order(items=[(tea, 1)])
    order = delivered(order, at=order.delivered_at, status=Order.Status.COMPLETED)
    assert ask(order).status == "requested"
