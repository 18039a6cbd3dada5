"""Opening a ticket: by a shopper on the web, or by an agent for a phone or email request;
its links (order, product, after-sales case) must be the shopper's own, and its deadlines
are fixed now."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import User
from customers.services.accounts import notify
from mall.numbers import new_number

from ...exceptions import TicketError
from ...models import Ticket, TicketMessage
from .access import Channel, Priority, Type, _require_work, may_work, support_url
from .deadlines import deadlines_for
from .steps import _attach, _clean_body, _process_attachments, _record, _step


def _check_links(shopper, *, order, product, after_sales_case):
    """The order and case must be the shopper's; a case implies its order."""
    if after_sales_case is not None:
        if after_sales_case.user_id != shopper.pk:
            raise TicketError(_("That after-sales case is not yours."))
        if order is not None and order.pk != after_sales_case.order_id:
            raise TicketError(_("That after-sales case belongs to another order."))
        order = order or after_sales_case.order
    if order is not None and order.user_id != shopper.pk:
        raise TicketError(_("That order is not yours."))
    if product is not None:
        from catalog.models import Product
        from orders.models import OrderLine

        bought = OrderLine.objects.filter(order__user=shopper, sku__product=product).exists()
        if product.status != Product.Status.LISTED and not bought:
            raise TicketError(_("That product is not on sale."))
    return order


def open_ticket(
    *,
    actor,
    type_: str,
    subject: str,
    body: str,
    shopper=None,
    channel: str = Channel.WEB,
    priority: str = Priority.NORMAL,
    category: str = Ticket.Category.OTHER,
    order=None,
    product=None,
    after_sales_case=None,
    attachments: Iterable = (),
) -> Ticket:
    """Open a ticket with its first message and return it.

    A shopper opens their own (``shopper`` omitted or themselves): channel web, priority
    normal. An agent opens one on behalf of ``shopper`` for a phone or email request,
    with a priority; it is assigned to them at once, and a phone call counts as the
    first response. A VIP shopper's ticket goes to their dedicated agent at once.
    Deadlines come from the service target and the support calendar.

    Raises ``PermissionDenied`` (someone else's ticket without ``work_ticket``),
    ``TicketError`` (bad input, someone else's order or case; ``AttachmentRefused``).
    """
    shopper = shopper or actor
    if actor is None or not actor.is_active or not shopper.is_active:
        raise PermissionDenied
    by_agent = actor.pk != shopper.pk
    if by_agent:
        _require_work(actor)
        if channel not in (Channel.PHONE, Channel.EMAIL):
            raise TicketError(_("Agents open tickets for phone calls and emails."))
    else:
        channel, priority = Channel.WEB, Priority.NORMAL
    if type_ not in Type.values or priority not in Priority.values:
        raise TicketError(_("Choose a type and a priority."))
    if category not in Ticket.Category.values:
        category = Ticket.Category.OTHER
    subject = (subject or "").strip()
    if not subject:
        raise TicketError(_("Give the request a subject."))
    body = _clean_body(body)
    order = _check_links(shopper, order=order, product=product, after_sales_case=after_sales_case)
    processed = _process_attachments(attachments)
    now = timezone.now()
    first_due, resolution_due = deadlines_for(type_=type_, priority=priority, opened_at=now)

    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=new_number("TK"),
            type=type_,
            category=category,
            channel=channel,
            priority=priority,
            subject=subject[:200],
            shopper=shopper,
            order=order,
            product=product,
            after_sales_case=after_sales_case,
            created_at=now,
            status_changed_at=now,
            first_response_due=first_due,
            resolution_due=resolution_due,
        )
        _record(ticket, "open", actor=actor, reason=Ticket.Channel(channel).label, from_state="")
        message = TicketMessage.objects.create(
            ticket=ticket, author=actor, body=body, created_at=now
        )
        _attach(message, processed)
        if by_agent:
            ticket.assignee = actor
            fields = ["assignee"]
            if channel == Channel.PHONE:
                ticket.first_response_at = now
                fields.append("first_response_at")
            _step(ticket, "assign", actor=actor, reason=str(actor), update_fields=fields)
        else:
            agent = _dedicated_agent(shopper)
            if agent is not None:
                ticket.assignee = agent
                _step(
                    ticket,
                    "assign",
                    actor=None,
                    reason=_("VIP: dedicated agent %(agent)s") % {"agent": agent},
                    update_fields=["assignee"],
                )
                notify(
                    user=agent,
                    title=_("New request %(number)s from your VIP shopper")
                    % {"number": ticket.number},
                    body=subject,
                    link=support_url(ticket),
                )
    return ticket


def _dedicated_agent(shopper):
    if not shopper.is_vip or shopper.dedicated_agent_id is None:
        return None
    agent = User.objects.filter(pk=shopper.dedicated_agent_id).first()
    return agent if may_work(agent) else None
