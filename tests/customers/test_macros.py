"""Macros, tags and bulk actions in the ticket view: a macro's answer with the shopper's
name and order number filled in, its priority, tags, status and compensation coupon, all
or nothing; tags set by hand and filtered by in the queue; bulk actions on the queue."""

import pytest
from django.urls import reverse

from customers.support.models import Macro, Ticket, TicketMessage
from customers.support.services import macros, tickets
from customers.support.services.tickets import TicketError
from marketing.models import Coupon, CouponTemplate
from tests.customers.factories import UserFactory
from tests.customers.ticket_helpers import agent, open_ticket, supervisor
from tests.marketing.promo_helpers import template
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(db):
    shopper = UserFactory(display_name="李雷")
    order = place(user=shopper, items=[(listed_sku(), 1)])
    return open_ticket(shopper, order=order, subject="快递太慢")


def _macro(**fields):
    fields.setdefault("name", "物流延误致歉")
    fields.setdefault("body", "[name]您好，订单 [order] 的包裹延误了，非常抱歉。[unknown]")
    return Macro.objects.create(**fields)


def test_placeholders_are_filled_and_others_left_as_written(ticket):
    text = macros.fill_placeholders("[name]/[order]/[ticket]/[other]/{name}", ticket=ticket)
    assert text == f"李雷/{ticket.order.number}/{ticket.number}/[other]/{{name}}"
    chinese = macros.fill_placeholders("【姓名】您好，订单【订单号】【其他】", ticket=ticket)
    assert chinese == f"李雷您好，订单{ticket.order.number}【其他】"


def test_a_macro_answers_sets_priority_tags_and_waits(ticket):
    worker = agent()
    macro = _macro(priority="high", tags=["物流", "延误"], then=Macro.Then.WAIT)
    message = macros.apply_macro(ticket=ticket, macro=macro, actor=worker)
    ticket.refresh_from_db()
    assert message.body == f"李雷您好，订单 {ticket.order.number} 的包裹延误了，非常抱歉。[unknown]"
    assert not message.internal and message.author == worker
    assert (ticket.status, ticket.priority, ticket.assignee) == ("waiting", "high", worker)
    assert ticket.tags == ["物流", "延误"] and ticket.first_response_at is not None
    assert ticket.timeline.filter(transition="priority").count() == 1


def test_a_macro_resolves_and_grants_a_coupon_under_the_agents_daily_limit(ticket, settings):
    settings.MALL_COMPENSATION_COUPONS_PER_AGENT_DAY = 1
    worker = agent()
    coupon_template = template(
        name="补偿券", channel=CouponTemplate.Channel.COMPENSATION, amount="15"
    )
    macro = _macro(
        then=Macro.Then.RESOLVE, coupon_template=coupon_template, coupon_reason="物流延误"
    )
    macros.apply_macro(ticket=ticket, macro=macro, actor=worker)
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    coupon = Coupon.objects.get()
    assert (coupon.user, coupon.granted_by, coupon.reason) == (ticket.shopper, worker, "物流延误")
    assert TicketMessage.objects.filter(ticket=ticket, internal=True, body__contains="补偿券")

    # The second grant of the day is refused, and then nothing of the macro happens.
    other = open_ticket(ticket.shopper, subject="又慢了")
    with pytest.raises(TicketError, match="物流延误致歉"):
        macros.apply_macro(ticket=other, macro=macro, actor=worker)
    other.refresh_from_db()
    assert other.status == "new" and other.messages.count() == 1 and other.tags == []
    assert Coupon.objects.count() == 1
    # A supervisor has no daily limit.
    macros.apply_macro(ticket=other, macro=macro, actor=supervisor())
    assert Coupon.objects.count() == 2


def test_an_inactive_macro_and_a_closed_ticket_are_refused(ticket):
    worker = agent()
    with pytest.raises(TicketError):
        macros.apply_macro(ticket=ticket, macro=_macro(active=False), actor=worker)
    tickets.resolve(ticket=ticket, actor=worker)
    with pytest.raises(TicketError):
        macros.apply_macro(ticket=ticket, macro=_macro(name="另一个"), actor=worker)
    assert ticket.messages.count() == 1


def test_tags_are_cleaned_and_bounded(ticket):
    worker = agent()
    macros.set_tags(ticket=ticket, actor=worker, tags=[" 退款 ", "退款", "", "物流  延误"])
    assert Ticket.objects.get(pk=ticket.pk).tags == ["退款", "物流 延误"]
    with pytest.raises(TicketError):
        macros.set_tags(ticket=ticket, actor=worker, tags=["长" * 31])
    with pytest.raises(TicketError):
        macros.add_tags(ticket=ticket, actor=worker, tags=[str(n) for n in range(10)])
    assert Ticket.objects.get(pk=ticket.pk).tags == ["退款", "物流 延误"]


def test_an_agent_applies_a_macro_and_tags_from_the_ticket_page(client, ticket):
    worker = agent()
    macro = _macro(tags=["物流"])
    client.force_login(worker)
    page = client.get(reverse("support:ticket", args=[ticket.number])).content.decode()
    assert 'id="macro-form"' in page and "物流延误致歉" in page
    client.post(reverse("support:macro", args=[ticket.number]), {"macro": macro.pk})
    ticket.refresh_from_db()
    assert ticket.tags == ["物流"] and ticket.messages.filter(author=worker).exists()
    client.post(reverse("support:tags", args=[ticket.number]), {"tags": "物流,退款"})
    ticket.refresh_from_db()
    assert ticket.tags == ["物流", "退款"]
    # The queue filters by tag.
    open_ticket(subject="别的事")
    queue = client.get(reverse("support:queue"), {"view": "all", "tag": "退款"}).content.decode()
    assert ticket.number in queue and queue.count("<tr data-ticket=") == 1


def test_bulk_actions_change_every_ticked_ticket_and_list_refusals(client):
    worker = agent()
    first, second, done = open_ticket(), open_ticket(), open_ticket()
    tickets.resolve(ticket=done, actor=worker)
    client.force_login(worker)
    numbers = [first.number, second.number, done.number]
    response = client.post(
        reverse("support:bulk"), {"tickets": numbers, "action": "assign_me"}, follow=True
    )
    assert Ticket.objects.filter(assignee=worker, status="assigned").count() == 2
    assert done.number in response.content.decode()  # the refusal names the ticket
    client.post(reverse("support:bulk"), {"tickets": numbers[:2], "action": "tag", "tag": "急"})
    assert Ticket.objects.filter(tags__contains=["急"]).count() == 2
    client.post(
        reverse("support:bulk"), {"tickets": numbers[:2], "action": "priority", "priority": "high"}
    )
    assert Ticket.objects.filter(priority="high").count() == 2
    # A tag action without a tag changes nothing.
    client.post(reverse("support:bulk"), {"tickets": [done.number], "action": "tag", "tag": ""})
    assert Ticket.objects.get(pk=done.pk).tags == []


def test_macros_and_bulk_are_for_agents_only(client, ticket):
    macro = _macro()
    client.force_login(ticket.shopper)
    assert (
        client.post(reverse("support:macro", args=[ticket.number]), {"macro": macro.pk}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("support:bulk"), {"tickets": [ticket.number], "action": "assign_me"}
        ).status_code
        == 403
    )
    assert ticket.messages.count() == 1


# --- Two agents on one ticket, and durations ------------------------------------------------


def test_a_second_agent_on_the_same_ticket_is_warned_and_the_warning_expires(client, ticket):
    from customers.support.services import presence

    chen, wang = agent(display_name="小陈"), agent(display_name="小王")
    assert presence.look_at(ticket_number=ticket.number, user=chen, now=1000.0) == []
    assert presence.look_at(ticket_number=ticket.number, user=wang, now=1010.0) == ["小陈"]
    # Chen's page pings again: still one entry for Chen.
    assert presence.look_at(ticket_number=ticket.number, user=chen, now=1020.0) == ["小王"]
    # Wang's tab closed: past the TTL (90 s) Chen is alone again.
    assert presence.look_at(ticket_number=ticket.number, user=chen, now=1099.0) == ["小王"]
    assert presence.look_at(ticket_number=ticket.number, user=chen, now=1120.0) == []

    presence.look_at(ticket_number=ticket.number, user=chen)  # Chen opens it now
    client.force_login(wang)
    page = client.get(reverse("support:ticket", args=[ticket.number])).content.decode()
    assert 'id="also-open"' in page and "小陈" in page
    pinged = client.post(reverse("support:ping", args=[ticket.number]))
    assert pinged.json() == {"others": ["小陈"]}


def test_durations_under_an_hour_keep_their_seconds():
    from customers.support.templatetags.support_tickets import format_span, span

    assert span(40) == "40 s" and span(125.4) == "2 min 5 s" and span(None) == "—"
    assert span(4800) == "1 h 20 min"
    assert format_span(125) == "2 min"  # deadlines stay to the minute
