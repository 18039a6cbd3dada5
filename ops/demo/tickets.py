"""Demo customer service: the VIP shopper 13800000002 with agent@mall.example as dedicated
agent, and tickets in the states an agent meets: a new complaint about a demo order, one
waiting for the customer, one resolved and rated, one past its deadline. Everything goes
through the ticket services, so timelines, deadlines and breaches add up. Idempotent:
each ticket is made once (found again by shopper and subject)."""

import datetime

from django.db import transaction
from django.utils import timezone

from customers.models import User
from customers.support.models import Macro, Ticket
from customers.support.services import tickets
from orders.models import Order

Type = Ticket.Type


def _made(shopper, subject) -> bool:
    return Ticket.objects.filter(shopper=shopper, subject=subject).exists()


@transaction.atomic
def seed() -> None:
    """Make the demo tickets once (later runs add nothing)."""
    agent = User.objects.filter(email="agent@mall.example").first()
    shoppers = [User.objects.filter(phone=f"1380000000{n}").first() for n in (1, 2, 3)]
    if agent is None or not all(shoppers):
        return
    first, second, third = shoppers
    if not second.is_vip or second.dedicated_agent_id != agent.pk:
        second.is_vip = True
        second.dedicated_agent = agent
        second.save(update_fields=["is_vip", "dedicated_agent"])

    # A new complaint about a demo order, waiting for an agent.
    subject = "订单商品少发了一件"
    order = Order.objects.filter(user=first, idempotency_key="demo-paid").first()
    if not _made(first, subject):
        tickets.open_ticket(
            actor=first,
            type_=Type.COMPLAINT,
            category=Ticket.Category.DELIVERY,
            subject=subject,
            body="我买了两件商品，包裹里只有一件，请帮忙查一下。",
            order=order,
        )

    # The VIP's question went to their agent, who asked for details and waits.
    subject = "发票可以开公司抬头吗？"
    if not _made(second, subject):
        ticket = tickets.open_ticket(
            actor=second,
            type_=Type.CONSULTATION,
            category=Ticket.Category.PAYMENT,
            subject=subject,
            body="上周的订单需要开增值税普通发票，抬头是公司名称，可以吗？",
        )
        tickets.reply(
            ticket=ticket,
            actor=agent,
            body="可以的。请把公司名称和税号发给我们，我们为您补开发票。",
            wait_for_customer=True,
        )

    # Answered, resolved and rated five stars.
    subject = "怎么修改收货地址？"
    if not _made(third, subject):
        ticket = tickets.open_ticket(
            actor=third,
            type_=Type.CONSULTATION,
            category=Ticket.Category.ACCOUNT,
            subject=subject,
            body="下单后发现地址写错了，还能改吗？",
        )
        tickets.reply(
            ticket=ticket,
            actor=agent,
            body="订单发货前，我们可以帮您修改地址。已为您改好，请在订单页核对。",
        )
        tickets.resolve(ticket=ticket, actor=agent, note="已修改地址")
        tickets.rate(ticket=ticket, actor=third, rating=5, comment="回复很快，谢谢！")

    # A complaint nobody answered in time: both its deadlines passed.
    subject = "希望增加夜间配送"
    if not _made(first, subject):
        ticket = tickets.open_ticket(
            actor=first,
            type_=Type.COMPLAINT,
            category=Ticket.Category.DELIVERY,
            subject=subject,
            body="白天上班不在家，快递总是放在门口，能不能晚上送？",
        )
        # Demo history only: opened three days ago, so both deadlines are behind it.
        opened = timezone.now() - datetime.timedelta(days=3)
        first_due, resolution_due = tickets.deadlines_for(
            type_=ticket.type, priority=ticket.priority, opened_at=opened
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=opened,
            status_changed_at=opened,
            first_response_due=first_due,
            resolution_due=resolution_due,
        )
        ticket.timeline.update(at=opened)
        ticket.messages.update(created_at=opened)
        tickets.record_breaches()

    # A question about a parcel on its way (its tracking shows on the ticket), and the
    # macros agents use most.
    subject = "包裹到哪里了？"
    parcel_order = Order.objects.filter(user=first, idempotency_key="demo-delivered").first()
    if parcel_order is not None and not _made(first, subject):
        tickets.open_ticket(
            actor=first,
            type_=Type.CONSULTATION,
            category=Ticket.Category.DELIVERY,
            subject=subject,
            body="物流好几天没更新了，麻烦帮我查一下。",
            order=parcel_order,
        )
    Macro.objects.get_or_create(
        name="物流查询回复",
        defaults={
            "body": "【姓名】您好，订单【订单号】的包裹物流如上，预计很快送达，请留意签收。",
            "tags": ["物流"],
            "then": Macro.Then.WAIT,
        },
    )
    Macro.objects.get_or_create(
        name="物流延误致歉",
        defaults={
            "body": "【姓名】您好，订单【订单号】的包裹延误了，非常抱歉，我们已催促快递。",
            "priority": Ticket.Priority.HIGH,
            "tags": ["物流", "延误"],
        },
    )
