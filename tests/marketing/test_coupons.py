"""Coupons against the database: how they reach wallets (claims, grants, CSV, codes,
compensation), the best one chosen at checkout, locked to one order, given back on
cancellation and, when the template says so, on a full refund; expiry and reminders."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Notification
from marketing.exceptions import CouponRefused
from marketing.models import Coupon, CouponBatch, CouponTemplate, CouponUse
from marketing.services import coupons
from orders.services import checkout, ordering
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.marketing.promo_helpers import (
    delivered,
    manjian,
    operator,
    place,
    refunded,
    shopper_with_address,
    template,
)
from tests.orders.factories import listed_sku

# Promotion windows, coupon validity and daily limits are read from the clock: it starts
# mid-month, mid-morning, whatever the day the tests run.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

Channel = CouponTemplate.Channel


def _choices(totals, name="coupon"):
    [choice] = [c for c in totals.choices if c.name == name]
    return choice


def test_claiming_respects_the_per_shopper_limit_and_the_total():
    shopper = UserFactory()
    made = template(per_shopper_limit=2, total_quantity=3)
    coupons.claim_coupon(template=made, user=shopper)
    coupons.claim_coupon(template=made, user=shopper)
    with pytest.raises(CouponRefused) as refused:
        coupons.claim_coupon(template=made, user=shopper)
    assert refused.value.code == "limit"
    coupons.claim_coupon(template=made, user=UserFactory())
    with pytest.raises(CouponRefused) as refused:
        coupons.claim_coupon(template=made, user=UserFactory())
    assert refused.value.code == "sold_out"
    made.refresh_from_db()
    assert made.issued == 3 == Coupon.objects.filter(template=made).count()


def test_a_claimed_coupon_is_valid_for_its_days_from_claiming():
    made = template(valid_days=3)
    coupon = coupons.claim_coupon(template=made, user=UserFactory())
    assert coupon.valid_until - coupon.valid_from == datetime.timedelta(days=3)
    assert coupon.status == Coupon.Status.AVAILABLE


def test_only_public_templates_are_claimed():
    hidden = template(channel=Channel.GRANT)
    with pytest.raises(CouponRefused):
        coupons.claim_coupon(template=hidden, user=UserFactory())


def test_an_operator_grants_to_chosen_shoppers_with_a_reason_all_or_none():
    actor = operator()
    made = template(channel=Channel.GRANT, total_quantity=2)
    users = [UserFactory(), UserFactory(), UserFactory()]
    with pytest.raises(CouponRefused):
        coupons.grant_coupons(template=made, users=users, actor=actor, reason="老客回馈")
    assert not Coupon.objects.exists()
    with pytest.raises(CouponRefused, match="Say why"):
        coupons.grant_coupons(template=made, users=users[:2], actor=actor, reason=" ")
    batch = coupons.grant_coupons(template=made, users=users[:2], actor=actor, reason="老客回馈")
    assert (batch.quantity, batch.reason, batch.created_by) == (2, "老客回馈", actor)
    assert set(Coupon.objects.values_list("user", flat=True)) == {users[0].pk, users[1].pk}
    with pytest.raises(CouponRefused):
        coupons.grant_coupons(template=made, users=users[:1], actor=UserFactory(), reason="x")


def test_a_csv_grant_lists_every_unknown_row_and_grants_nothing_then():
    actor = operator()
    made = template(channel=Channel.GRANT)
    known = UserFactory(phone="13911112222", email="lin@example.com")
    text = "手机号或邮箱\n13911112222\nnobody@example.com\n13900000000\n"
    with pytest.raises(CouponRefused) as refused:
        coupons.grant_from_csv(template=made, text=text, actor=actor, reason="补发")
    assert refused.value.problems == [
        "Row 2: no shopper with “nobody@example.com”.",
        "Row 3: no shopper with “13900000000”.",
    ]
    assert not Coupon.objects.exists()
    other = UserFactory(email="wang@example.com")
    coupons.grant_from_csv(
        template=made, text="13911112222\nWANG@example.com\n", actor=actor, reason="补发"
    )
    assert set(Coupon.objects.values_list("user", flat=True)) == {known.pk, other.pk}


def test_codes_are_made_in_bulk_unique_and_redeemed_once():
    actor = operator()
    made = template(channel=Channel.CODE, total_quantity=500, per_shopper_limit=1)
    batch = coupons.generate_codes(template=made, quantity=200, actor=actor, reason="抖音直播间")
    codes = list(batch.coupons.values_list("code", flat=True))
    assert len(set(codes)) == 200 and all(len(code) == 14 for code in codes)
    made.refresh_from_db()
    assert made.issued == 200
    shopper = UserFactory()
    coupon = coupons.redeem_code(code=codes[0].lower().replace("-", " "), user=shopper)
    assert (coupon.user, coupon.status) == (shopper, Coupon.Status.AVAILABLE)
    with pytest.raises(CouponRefused, match="redeemed already"):
        coupons.redeem_code(code=codes[0], user=UserFactory())
    with pytest.raises(CouponRefused, match="already have"):
        coupons.redeem_code(code=codes[1], user=shopper)
    with pytest.raises(CouponRefused, match="redeemed already"):
        coupons.redeem_code(code=codes[0], user=shopper)
    with pytest.raises(CouponRefused, match="no coupon"):
        coupons.redeem_code(code="XXXX-XXXX-XXXX", user=shopper)


def test_an_agent_compensates_with_a_reason_within_a_daily_limit(settings):
    settings.MALL_COMPENSATION_COUPONS_PER_AGENT_DAY = 2
    agent = UserFactory(roles=["support_agent"])
    made = template(channel=Channel.COMPENSATION)
    shopper = UserFactory()
    with pytest.raises(CouponRefused, match="Say why"):
        coupons.grant_compensation(template=made, shopper=shopper, actor=agent, reason="")
    for _n in range(2):
        coupons.grant_compensation(
            template=made, shopper=shopper, actor=agent, reason="物流延误", reference="T1"
        )
    with pytest.raises(CouponRefused) as refused:
        coupons.grant_compensation(template=made, shopper=shopper, actor=agent, reason="再补一张")
    assert refused.value.code == "limit"
    supervisor = UserFactory(roles=["support_supervisor"])
    coupons.grant_compensation(template=made, shopper=shopper, actor=supervisor, reason="升级处理")
    assert CouponBatch.objects.filter(kind=CouponBatch.Kind.COMPENSATION).count() == 3
    with pytest.raises(CouponRefused):
        coupons.grant_compensation(
            template=made, shopper=shopper, actor=UserFactory(), reason="冒充客服"
        )
    with pytest.raises(CouponRefused, match="compensation coupon"):
        coupons.grant_compensation(
            template=template(channel=Channel.GRANT), shopper=shopper, actor=supervisor, reason="x"
        )


def test_checkout_preselects_the_best_coupon_and_offers_the_others():
    tea = listed_sku(price="219.00")
    shopper, _address = shopper_with_address()
    small = coupons.claim_coupon(template=template(name="小券", amount="10"), user=shopper)
    best = coupons.claim_coupon(
        template=template(name="大券", amount="30", threshold="200"), user=shopper
    )
    far = coupons.claim_coupon(
        template=template(name="远券", amount="50", threshold="500"), user=shopper
    )
    lines, _problems = checkout.price_lines([(tea.pk, 1)])
    totals = checkout.compute_totals(
        lines=lines, province="浙江省", method="standard", user=shopper
    )
    assert totals.discount_total == Decimal("30.00")
    assert [d.source for d in totals.discounts] == [f"coupon:{best.pk}"]
    choice = _choices(totals)
    options = {option.value: option for option in choice.options}
    assert options[str(best.pk)].selected and not options[str(small.pk)].selected
    assert options[str(far.pk)].disabled
    with translation.override("zh-hans"):
        assert str(options[str(far.pk)].note) == "再买¥281.00可用优惠券：满500减50"
        assert str(options[str(small.pk)].note) == "可省¥10.00"
    chosen = checkout.compute_totals(
        lines=lines,
        province="浙江省",
        method="standard",
        user=shopper,
        choices={"coupon": [str(small.pk)]},
    )
    assert chosen.discount_total == Decimal("10.00")
    none = checkout.compute_totals(
        lines=lines, province="浙江省", method="standard", user=shopper, choices={"coupon": []}
    )
    assert none.discount_total == 0


def test_a_coupon_is_locked_to_its_order_and_given_back_when_it_is_cancelled():
    tea = listed_sku(price="100.00")
    shopper, address = shopper_with_address()
    coupon = coupons.claim_coupon(template=template(amount="10"), user=shopper)
    order = place(shopper, address, [(tea, 1)])
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order) == (Coupon.Status.USED, order)
    assert order.discount_total == Decimal("10.00")
    # The next order finds no coupon left.
    again = place(shopper, address, [(tea, 1)])
    assert again.discount_total == 0
    ordering.cancel_order(order=order, actor=shopper, reason="买错了")
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order) == (Coupon.Status.AVAILABLE, None)
    use = CouponUse.objects.get(coupon=coupon)
    assert (use.order, use.release_reason) == (order, "cancelled") and use.released_at
    third = place(shopper, address, [(tea, 1)])
    assert third.discount_total == Decimal("10.00")


def test_a_chosen_coupon_used_meanwhile_refuses_the_order_and_writes_nothing():
    tea = listed_sku(price="100.00")
    shopper, address = shopper_with_address()
    coupon = coupons.claim_coupon(template=template(amount="10"), user=shopper)
    lines, _problems = checkout.price_lines([(tea.pk, 1)])
    totals = checkout.compute_totals(
        lines=lines, province="浙江省", method="standard", user=shopper
    )
    assert totals.discount_total == Decimal("10.00")
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now())  # it ran out
    from orders.exceptions import TotalChanged

    with pytest.raises(TotalChanged):
        place(shopper, address, [(tea, 1)], expected_total=totals.total)


def test_a_partial_refund_keeps_the_coupon_a_full_one_returns_it_when_the_template_says():
    tea, cup = listed_sku(price="100.00"), listed_sku(price="60.00")
    shopper, address = shopper_with_address()
    keeps = coupons.claim_coupon(template=template(name="不退券", amount="10"), user=shopper)
    order = delivered(place(shopper, address, [(tea, 1), (cup, 1)]))
    refunded(order, {order.lines.get(sku=tea): 1})
    keeps.refresh_from_db()
    assert keeps.status == Coupon.Status.USED
    refunded(order, {order.lines.get(sku=cup): 1})
    keeps.refresh_from_db()
    assert keeps.status == Coupon.Status.USED  # the template does not return it

    returns = coupons.claim_coupon(
        template=template(name="退券", amount="10", return_on_refund=True), user=shopper
    )
    order = delivered(place(shopper, address, [(tea, 1), (cup, 1)]))
    refunded(order, {order.lines.get(sku=tea): 1})
    returns.refresh_from_db()
    assert returns.status == Coupon.Status.USED  # a partial refund keeps it
    refunded(order, {order.lines.get(sku=cup): 1})
    returns.refresh_from_db()
    assert (returns.status, returns.order) == (Coupon.Status.AVAILABLE, None)
    assert list(
        CouponUse.objects.filter(coupon=returns).values_list("release_reason", flat=True)
    ) == ["refunded"]


def test_expired_coupons_are_marked_and_shoppers_reminded_once(settings):
    settings.MALL_COUPON_REMIND_DAYS = 3
    shopper = UserFactory()
    soon = coupons.claim_coupon(template=template(name="快到期", valid_days=2), user=shopper)
    later = coupons.claim_coupon(template=template(name="还早", valid_days=30), user=shopper)
    gone = coupons.claim_coupon(template=template(name="已过期", valid_days=1), user=shopper)
    Coupon.objects.filter(pk=gone.pk).update(
        valid_until=timezone.now() - datetime.timedelta(hours=1)
    )
    assert coupons.expire_coupons() == 1
    assert coupons.remind_expiring_coupons() == 1
    assert coupons.remind_expiring_coupons() == 0
    statuses = dict(Coupon.objects.values_list("pk", "status"))
    assert statuses == {
        soon.pk: Coupon.Status.AVAILABLE,
        later.pk: Coupon.Status.AVAILABLE,
        gone.pk: Coupon.Status.EXPIRED,
    }
    [message] = Notification.objects.filter(user=shopper)
    assert "快到期" in message.body


def test_a_coupon_covers_only_its_goods_and_combines_after_promotions():
    tea = listed_sku(price="120.00", name="龙井")
    cup = listed_sku(price="99.00", name="杯")
    manjian(("199", "20"))
    shopper, _address = shopper_with_address()
    tea_only = template(amount="15", threshold="100", products=[tea.product])
    coupons.claim_coupon(template=tea_only, user=shopper)
    lines, _problems = checkout.price_lines([(tea.pk, 1), (cup.pk, 1)])
    totals = checkout.compute_totals(
        lines=lines, province="浙江省", method="standard", user=shopper
    )
    # 满199减20 on both; the tea is then 109.04, above the coupon's 100: 15 off the tea.
    assert totals.discount_total == Decimal("35.00")
    coupon_part = next(d for d in totals.discounts if d.source.startswith("coupon:"))
    assert coupon_part.shares == {tea.pk: Decimal("15.00")}


def test_an_agent_grants_a_compensation_coupon_from_the_ticket_view(client, settings):
    from customers.support.models import TicketMessage
    from customers.support.services import tickets

    settings.MALL_COMPENSATION_COUPONS_PER_AGENT_DAY = 1
    agent = UserFactory(roles=["support_agent"])
    shopper = UserFactory()
    ticket = tickets.open_ticket(
        actor=shopper, type_="complaint", subject="快递太慢", body="等了十天"
    )
    made = template(name="补偿券", channel=Channel.COMPENSATION, amount="15")
    client.force_login(agent)
    page = client.get(reverse("support:ticket", args=[ticket.number])).content.decode()
    assert 'id="compensation-form"' in page and "补偿券" in page
    url = reverse("support:compensate", args=[ticket.number])
    client.post(url, {"template": made.pk, "reason": ""})
    assert not Coupon.objects.exists()
    client.post(url, {"template": made.pk, "reason": "物流延误十天"})
    coupon = Coupon.objects.get()
    assert (coupon.user, coupon.granted_by, coupon.reason) == (shopper, agent, "物流延误十天")
    assert coupon.batch.reference == ticket.number
    note = TicketMessage.objects.filter(ticket=ticket, internal=True).get()
    assert "补偿券" in note.body and "物流延误十天" in note.body
    response = client.post(url, {"template": made.pk, "reason": "再补一张"}, follow=True)
    assert "ask a supervisor" in response.content.decode()
    assert Coupon.objects.count() == 1
    shopper_client = client.__class__()
    shopper_client.force_login(shopper)
    assert shopper_client.get(reverse("support:ticket", args=[ticket.number])).status_code == 403


def test_other_features_hand_out_coupons_once_per_reference():
    birthday = template(name="生日券", channel=Channel.BIRTHDAY, total_quantity=2)
    shopper = UserFactory()
    first = coupons.grant_for_feature(
        template=birthday, user=shopper, reason="生日快乐", reference="birthday-2026"
    )
    again = coupons.grant_for_feature(
        template=birthday, user=shopper, reason="生日快乐", reference="birthday-2026"
    )
    assert first == again and (first.source, first.batch.created_by) == ("birthday", None)
    coupons.grant_for_feature(template=birthday, user=UserFactory(), reason="生日快乐")
    with pytest.raises(CouponRefused):
        coupons.grant_for_feature(template=birthday, user=UserFactory(), reason="生日快乐")
