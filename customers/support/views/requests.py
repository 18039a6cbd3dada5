"""The shopper's service requests (/accounts/tickets/): their list, a new request (from the
help centre, or from an order page with ``?order=<number>``), one request with the
conversation (never the staff's internal notes), reply, rate once resolved, close.

A shopper reaches only their own tickets and attachments: anyone else's is "not found",
never "forbidden", so numbers reveal nothing. Every write goes through
``customers.support.services.tickets``; its refusals come back as form errors or messages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from catalog.models import Product
from mall.statemachine import IllegalTransition

from ..forms.tickets import NewTicketForm, RateForm, ShopperReplyForm
from ..models import Ticket, TicketAttachment
from ..selectors import tickets as selectors
from ..services import tickets
from ..services.tickets import AttachmentRefused, TicketError
from .workspace import attachment_response

PAGE_SIZE = 10
# What the shopper reads on the timeline (who acted is never shown: staff names are
# private).
TIMELINE_LABELS = {
    "open": gettext_lazy("Request received"),
    "assign": gettext_lazy("An agent is on it"),
    "wait_for_customer": gettext_lazy("Waiting for your answer"),
    "customer_replied": gettext_lazy("You replied"),
    "resolve": pgettext_lazy("ticket", "Resolved"),
    "close": gettext_lazy("Closed"),
    "reopen": gettext_lazy("Reopened"),
}


def _own_ticket(request, number) -> Ticket:
    try:
        return selectors.ticket_for_shopper(number=number, user=request.user)
    except Ticket.DoesNotExist:
        raise Http404 from None


def _plain_own_ticket(request, number) -> Ticket:
    ticket = Ticket.objects.filter(number=number, shopper=request.user).first()
    if ticket is None:
        raise Http404
    return ticket


@login_required
def ticket_list(request):
    page = Paginator(selectors.tickets_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "customers/tickets/list.html", {"page_obj": page})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    extra_product = None
    product_id = request.GET.get("product", "")
    if product_id.isdigit():
        extra_product = Product.objects.filter(pk=product_id, status=Product.Status.LISTED).first()
    if request.method == "POST":
        form = NewTicketForm(
            request.POST, request.FILES, shopper=request.user, extra_product=extra_product
        )
    else:
        initial = {}
        order = request.GET.get("order", "")
        if order:
            initial.update(order=order, type=Ticket.Type.COMPLAINT)
        if extra_product is not None:
            initial.update(product=str(extra_product.pk), type=Ticket.Type.CONSULTATION)
        form = NewTicketForm(initial=initial, shopper=request.user, extra_product=extra_product)
        if order and order not in form.orders:
            form.initial.pop("order")  # not theirs (or too old to list): start blank
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = tickets.open_ticket(
                actor=request.user,
                type_=data["type"],
                category=data["category"] or Ticket.Category.OTHER,
                subject=data["subject"],
                body=data["body"],
                attachments=data["attachments"],
                **form.linked(),
            )
        except AttachmentRefused as refused:
            for problem in refused.problems:
                form.add_error("attachments", problem)
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("We received your request %(number)s and will answer soon.")
                % {"number": ticket.number},
            )
            return redirect("tickets:detail", ticket.number)
    return render(request, "customers/tickets/new.html", {"form": form})


def _timeline(ticket: Ticket) -> list[dict]:
    return [
        {
            "at": entry.at,
            "label": TIMELINE_LABELS.get(entry.transition, entry.transition),
        }
        for entry in ticket.timeline.all()
        if entry.transition not in ("escalate", "priority")  # internal matters
    ]


@login_required
def ticket_detail(request, number):
    ticket = _own_ticket(request, number)
    context = {
        "ticket": ticket,
        "thread": list(ticket.messages.all()),
        "timeline": _timeline(ticket),
        "can_reply": ticket.status != Ticket.Status.CLOSED,
        "can_rate": ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        and ticket.rating is None,
        "can_close": ticket.status == Ticket.Status.RESOLVED,
        "reply_form": ShopperReplyForm(),
        "rate_form": RateForm(),
    }
    return render(request, "customers/tickets/detail.html", context)


@login_required
@require_POST
def ticket_reply(request, number):
    ticket = _plain_own_ticket(request, number)
    form = ShopperReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("tickets:detail", number)
    try:
        tickets.reply(
            ticket=ticket,
            actor=request.user,
            body=form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"],
        )
    except (TicketError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your reply was sent."))
    return redirect("tickets:detail", number)


@login_required
@require_POST
def ticket_rate(request, number):
    """Rate the service (1-5, a comment) and, while it is resolved, close the request."""
    ticket = _plain_own_ticket(request, number)
    form = RateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose from 1 to 5 stars."))
        return redirect("tickets:detail", number)
    try:
        with transaction.atomic():
            tickets.rate(
                ticket=ticket,
                actor=request.user,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
            if ticket.status == Ticket.Status.RESOLVED:
                tickets.close(ticket=ticket, actor=request.user, reason=_("Rated by the shopper."))
    except (TicketError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("tickets:detail", number)


@login_required
@require_POST
def ticket_close(request, number):
    ticket = _plain_own_ticket(request, number)
    try:
        tickets.close(ticket=ticket, actor=request.user, reason=_("Closed by the shopper."))
    except (TicketError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The request is closed."))
    return redirect("tickets:detail", number)


@never_cache
@login_required
def ticket_attachment(request, number, pk):
    try:
        found = selectors.attachment_for_shopper(number=number, pk=pk, user=request.user)
    except TicketAttachment.DoesNotExist:
        raise Http404 from None
    return attachment_response(found)
