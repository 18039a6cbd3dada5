"""Macros and tags: an agent applies a macro to a ticket (the answer with its placeholders
filled, then priority, tags, status and a compensation coupon, all or nothing), and tags
tickets by hand."""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from marketing.exceptions import CouponRefused
from marketing.services import coupons

from ..exceptions import TicketError
from ..models import Macro, Ticket, TicketMessage
from . import tickets
from .tickets.access import _require_work

MAX_TAGS = 10
MAX_TAG_LENGTH = 30
# Placeholders in English or Chinese spelling (the admin's help text shows the reader's).
_PLACEHOLDER = re.compile(r"\[(name|order|ticket)\]|【(姓名|订单号|工单号)】")
_CHINESE = {"姓名": "name", "订单号": "order", "工单号": "ticket"}


def fill_placeholders(text: str, *, ticket: Ticket) -> str:
    """``[name]``, ``[order]`` and ``[ticket]`` (or ``【姓名】``, ``【订单号】``,
    ``【工单号】``) filled from the ticket: its shopper's display name, its order's number,
    its number. Anything else stays as written."""
    shopper = ticket.shopper
    values = {
        "name": getattr(shopper, "display_name", "") or _("customer"),
        "order": ticket.order.number if ticket.order_id else "",
        "ticket": ticket.number,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1) or _CHINESE[match.group(2)]], text)


def clean_tags(tags) -> list[str]:
    """Tags as stored: trimmed, without empties or repeats, in the order given. Raises
    ``TicketError`` for too many or too long ones."""
    cleaned = []
    for tag in tags:
        tag = " ".join(str(tag).split())
        if tag and tag not in cleaned:
            cleaned.append(tag)
    too_long = [tag for tag in cleaned if len(tag) > MAX_TAG_LENGTH]
    if too_long:
        raise TicketError(
            _("A tag has at most %(max)s characters: %(tags)s")
            % {"max": MAX_TAG_LENGTH, "tags": "、".join(too_long)}
        )
    if len(cleaned) > MAX_TAGS:
        raise TicketError(_("A ticket has at most %(max)s tags.") % {"max": MAX_TAGS})
    return cleaned


def set_tags(*, ticket: Ticket, actor, tags) -> Ticket:
    """Replace the ticket's tags (any state: closed tickets are tagged for reports too).
    Needs ``work_ticket``. Raises ``PermissionDenied``, ``TicketError`` (nothing written)."""
    _require_work(actor)
    cleaned = clean_tags(tags)
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(tags=cleaned)
    ticket.tags = cleaned
    return ticket


def add_tags(*, ticket: Ticket, actor, tags) -> Ticket:
    """Add ``tags`` to those the ticket has (under a row lock, so two agents' additions
    both stay). Raises ``PermissionDenied``, ``TicketError``."""
    _require_work(actor)
    with transaction.atomic():
        current = (
            Ticket.objects.select_for_update().values_list("tags", flat=True).get(pk=ticket.pk)
        )
        cleaned = clean_tags([*current, *tags])
        Ticket.objects.filter(pk=ticket.pk).update(tags=cleaned)
    ticket.tags = cleaned
    return ticket


def apply_macro(*, ticket: Ticket, macro: Macro, actor) -> TicketMessage:
    """Apply ``macro`` to ``ticket`` as ``actor``, in one transaction: the answer is sent
    to the shopper with its placeholders filled (the first response if none was given;
    waiting for the customer if the macro says so), the priority set (deadlines counted
    again, the macro named as the reason), the tags added, the ticket resolved if the
    macro says so, and its compensation coupon granted through marketing's
    ``grant_compensation`` (the macro's reason, the agent's daily limit) and noted on the
    ticket. Either all of it happens or nothing does.

    Raises ``PermissionDenied``, ``TicketError`` (an inactive macro, a closed ticket, a
    coupon refused, with marketing's reasons), ``IllegalTransition``.
    """
    _require_work(actor)
    if not macro.active:
        raise TicketError(_("The macro “%(name)s” is no longer in use.") % {"name": macro.name})
    body = fill_placeholders(macro.body, ticket=ticket)
    reason = _("Macro “%(name)s”") % {"name": macro.name}
    with transaction.atomic():
        message = tickets.reply(
            ticket=ticket,
            actor=actor,
            body=body,
            wait_for_customer=macro.then == Macro.Then.WAIT,
        )
        ticket.refresh_from_db()
        if macro.priority and macro.priority != ticket.priority:
            tickets.change_priority(
                ticket=ticket, actor=actor, priority=macro.priority, reason=reason
            )
        if macro.tags:
            add_tags(ticket=ticket, actor=actor, tags=macro.tags)
        if macro.coupon_template_id:
            _compensate(ticket=ticket, macro=macro, actor=actor)
        if macro.then == Macro.Then.RESOLVE:
            tickets.resolve(ticket=ticket, actor=actor, note=reason)
    return message


def _compensate(*, ticket: Ticket, macro: Macro, actor) -> None:
    template = macro.coupon_template
    try:
        coupon = coupons.grant_compensation(
            template=template,
            shopper=ticket.shopper,
            actor=actor,
            reason=macro.coupon_reason,
            reference=ticket.number,
        )
    except CouponRefused as refused:
        raise TicketError(
            _("The macro “%(name)s” was not applied: %(reasons)s")
            % {"name": macro.name, "reasons": str(refused)}
        ) from refused
    tickets.add_note(
        ticket=ticket,
        actor=actor,
        body=_("Compensation coupon “%(name)s” granted (no. %(coupon)s): %(reason)s")
        % {"name": template.name, "coupon": coupon.pk, "reason": macro.coupon_reason},
    )
