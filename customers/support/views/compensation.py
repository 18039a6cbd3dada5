"""The ticket view's compensation: an agent grants the ticket's shopper a coupon of a
compensation template, with a reason (``marketing.services.coupons.grant_compensation``:
a daily limit per agent, supervisors unlimited). The grant is noted on the ticket for the
other agents."""

from django.contrib import messages
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketing.exceptions import CouponRefused
from marketing.services import coupons

from ..forms.compensation import CompensationForm
from ..services import tickets
from ..services.tickets import TicketError
from .workspace import _back, _plain_ticket, agents_only

COMPENSATE = "marketing.compensate_coupontemplate"


@agents_only
@require_POST
def compensate(request, number):
    ticket = _plain_ticket(number)
    form = CompensationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(number)
    template, reason = form.cleaned_data["template"], form.cleaned_data["reason"]
    try:
        coupon = coupons.grant_compensation(
            template=template,
            shopper=ticket.shopper,
            actor=request.user,
            reason=reason,
            reference=ticket.number,
        )
        tickets.add_note(
            ticket=ticket,
            actor=request.user,
            body=_("Compensation coupon “%(name)s” granted (no. %(coupon)s): %(reason)s")
            % {"name": template.name, "coupon": coupon.pk, "reason": reason},
        )
    except (CouponRefused, TicketError) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("“%(name)s” is in the shopper's wallet.") % {"name": template.name},
        )
    return _back(number)
