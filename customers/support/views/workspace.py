"""The agents' ticket view (/support/): the queue, a ticket with its conversation and the
shopper's recent orders and after-sales cases, replies with canned answers from the FAQ,
internal notes, and the actions assign / reassign / escalate / resolve / reopen / close;
phone and email tickets; follow-up calls; the supervisors' dashboard and service targets.

Only staff who work tickets (``support.work_ticket``: the support roles, superusers)
get in: anyone else signed in gets 403, anonymous visitors the sign-in page. Supervisor
pages need ``support.supervise_ticket`` too. The services check again on every action.
Contact details (phone, street, email) are masked unless the agent has
``support.see_contact_details``.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mall import audit
from mall.statemachine import IllegalTransition
from orders.models import Order

from ..forms.compensation import CompensationForm
from ..forms.macros import BulkForm, MacroForm, TagsForm
from ..forms.tickets import (
    DraftArticleForm,
    NoteForm,
    PhoneTicketForm,
    PriorityForm,
    QueueFilterForm,
    ReasonForm,
    ReassignForm,
    ReplyForm,
    agents,
)
from ..models import TICKET_MACHINE, FaqArticle, FaqCategory, Ticket, TicketAttachment
from ..selectors import tickets as selectors
from ..services import knowledge, presence, tickets
from ..services.knowledge import KnowledgeError
from ..services.tickets import SEE_CONTACT_DETAILS, TicketError, may_supervise, may_work

PAGE_SIZE = 30
ANSWERS = 8
ADD_ARTICLE = "support.add_faqarticle"
COMPENSATE = "marketing.compensate_coupontemplate"
# What agents read on the timeline for events that are not transitions.
TIMELINE_LABELS = {
    "open": pgettext_lazy("ticket", "opened"),
    "escalate": gettext_lazy("escalated"),
    "priority": gettext_lazy("priority changed"),
}


def agents_only(view):
    """Sign in first; then staff who work tickets only (403 for everyone else)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not may_work(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


def supervisors_only(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not may_supervise(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _ticket(number) -> Ticket:
    try:
        return selectors.ticket_for_support(number=number)
    except Ticket.DoesNotExist:
        raise Http404 from None


def _plain_ticket(number) -> Ticket:
    ticket = Ticket.objects.select_related("shopper").filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


def _back(number):
    return redirect("support:ticket", number)


# --- The queue --------------------------------------------------------------------------------


@agents_only
def queue(request):
    agent_list = list(agents())
    form = QueueFilterForm(request.GET, agent_choices=agent_list)
    params = form.values(default_view=selectors.MINE)
    now = timezone.now()
    tickets_ = selectors.support_queue(user=request.user, now=now, **params)
    page = Paginator(tickets_, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.view_counts(user=request.user, now=now)
    tabs = [
        {"value": value, "label": label, "count": counts.get(value)}
        for value, label in selectors.VIEWS.items()
    ]
    keep = request.GET.copy()
    keep.pop("page", None)
    context = {
        "support_area": "tickets",
        "page_obj": page,
        "view": params["view"],
        "tabs": tabs,
        "form": form,
        "filters": keep.urlencode(),
        "filter_without_view": _without(keep, "view"),
        "soon_minutes": tickets.escalation_window().total_seconds() // 60,
        "bulk_form": BulkForm(),
    }
    return render(request, "support/tickets/queue.html", context)


def _without(query, name: str) -> str:
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


# --- One ticket --------------------------------------------------------------------------------


def _timeline(ticket: Ticket) -> list[dict]:
    labels = {name: step.label for name, step in TICKET_MACHINE.transitions.items()}
    labels.update(TIMELINE_LABELS)
    return [
        {
            "at": entry.at,
            "label": labels.get(entry.transition, entry.transition),
            # The shopper by role: their name may be their phone number or email.
            "actor": _("the shopper") if entry.actor_id == ticket.shopper_id else entry.actor,
            "reason": entry.reason_text,
        }
        for entry in ticket.timeline.all()
    ]


def _canned(article: FaqArticle) -> dict:
    """An FAQ article as a canned answer, in the page's language."""
    return {
        "id": article.pk,
        "title": knowledge.localized_title(article),
        "answer": knowledge.localized_body(article),
    }


@agents_only
def ticket(request, number):
    ticket = _ticket(number)
    user = request.user
    supervisor = may_supervise(user)
    reply_initial = {}
    # Canned answers without JavaScript: ?answers=<words> lists articles, ?answer=<id>
    # puts one into the reply box.
    answer_query = request.GET.get("answers", "").strip()[:100]
    answers = []
    if answer_query:
        answers = [_canned(a) for a in knowledge.search_articles(answer_query, limit=ANSWERS)]
    chosen = request.GET.get("answer", "")
    if chosen.isdigit():
        article = FaqArticle.objects.filter(pk=chosen, status=FaqArticle.Status.PUBLISHED).first()
        if article is not None:
            reply_initial = {"body": knowledge.localized_body(article), "from_article": article.pk}
    agent_list = list(agents()) if supervisor else []
    can_draft = user.has_perm(ADD_ARTICLE)
    context = {
        "support_area": "tickets",
        "ticket": ticket,
        "thread": list(ticket.messages.all()),
        "timeline": _timeline(ticket),
        # The ticket's order with its parcels, their tracking and its after-sales cases.
        "order": _order_of(ticket),
        "orders": selectors.shopper_orders(ticket.shopper),
        "cases": selectors.shopper_cases(ticket.shopper),
        "other_tickets": selectors.shopper_other_tickets(ticket),
        "show_contact": _shows_contact(user, ticket.shopper),
        "is_supervisor": supervisor,
        "is_open": ticket.status in tickets.OPEN,
        "can_assign_self": ticket.status in tickets.OPEN
        and ticket.assignee_id != user.pk
        and (ticket.assignee_id is None or supervisor),
        "can_resolve": TICKET_MACHINE.can(ticket, "resolve"),
        "can_reopen": TICKET_MACHINE.can(ticket, "reopen"),
        "can_close": TICKET_MACHINE.can(ticket, "close"),
        "can_draft": can_draft,
        "faq_categories": list(FaqCategory.objects.order_by("position", "pk")) if can_draft else [],
        "reply_form": ReplyForm(initial=reply_initial),
        "note_form": NoteForm(prefix="note"),
        "reason_form": ReasonForm(),
        "reassign_form": ReassignForm(agent_choices=agent_list) if supervisor else None,
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        # A compensation coupon for the shopper (marketing), for those who may grant one.
        "compensation_form": CompensationForm() if user.has_perm(COMPENSATE) else None,
        "macro_form": MacroForm(),
        "tags_form": TagsForm(initial={"tags": ticket.tags}),
        "answer_query": answer_query,
        "answers": answers,
        "soon_minutes": tickets.escalation_window().total_seconds() // 60,
        # Other agents with this ticket open (Redis, refreshed by the page's pings).
        "also_open": presence.look_at(ticket_number=ticket.number, user=user),
        "presence_ping_ms": presence.PING_SECONDS * 1000,
    }
    return render(request, "support/tickets/ticket.html", context)


@agents_only
@require_POST
def ping(request, number):
    """The ticket page's heartbeat: ``{"others": [names]}`` of the other agents who have
    it open."""
    _plain_ticket(number)
    return JsonResponse({"others": presence.look_at(ticket_number=number, user=request.user)})


def _order_of(ticket: Ticket):
    if ticket.order_id is None:
        return None
    return selectors.order_for_support(number=ticket.order.number)


@agents_only
@require_GET
def order(request, number):
    """An order as the agent sees it: lines, parcels with their tracking events, after-sales
    cases, and the tickets about it."""
    try:
        found = selectors.order_for_support(number=number)
    except Order.DoesNotExist:
        raise Http404 from None
    context = {
        "support_area": "tickets",
        "order": found,
        "order_tickets": selectors.order_tickets(found),
        "show_contact": _shows_contact(request.user, found.user),
    }
    return render(request, "support/tickets/order.html", context)


@agents_only
@require_GET
def answers(request):
    """Canned answers: ``{"results": [{"id", "title", "answer"}]}`` for ``q``, published
    FAQ articles only, best first."""
    query = request.GET.get("q", "")[:100]
    results = [_canned(a) for a in knowledge.search_articles(query, limit=ANSWERS)]
    return JsonResponse({"results": results})


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@agents_only
@require_POST
def reply(request, number):
    ticket = _plain_ticket(number)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(number)
    data = form.cleaned_data
    article = None
    if data["from_article"]:
        article = FaqArticle.objects.filter(pk=data["from_article"]).first()
    try:
        tickets.reply(
            ticket=ticket,
            actor=request.user,
            body=data["body"],
            attachments=data["attachments"],
            wait_for_customer=data["wait_for_customer"],
            from_article=article,
        )
    except (TicketError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your reply was sent to the shopper."))
    return _back(number)


@agents_only
@require_POST
def note(request, number):
    ticket = _plain_ticket(number)
    form = NoteForm(request.POST, request.FILES, prefix="note")
    if not form.is_valid():
        _form_errors(request, form)
        return _back(number)
    try:
        tickets.add_note(
            ticket=ticket,
            actor=request.user,
            body=form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"],
        )
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The note was added."))
    return _back(number)


def _act(request, number, action, success: str, *, words=None, **kwargs):
    ticket = _plain_ticket(number)
    try:
        action(ticket=ticket, actor=request.user, **kwargs)
    except (TicketError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success % {"number": ticket.number, **(words or {})})
    return _back(number)


def _reason(request) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@agents_only
@require_POST
def assign(request, number):
    return _act(request, number, tickets.assign, _("%(number)s is now yours."))


@supervisors_only
@require_POST
def reassign(request, number):
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an agent."))
        return _back(number)
    agent = form.cleaned_data["agent"]
    return _act(
        request,
        number,
        tickets.assign,
        _("%(number)s is assigned to %(agent)s."),
        words={"agent": agent},
        agent=agent,
    )


@agents_only
@require_POST
def escalate(request, number):
    return _act(
        request,
        number,
        tickets.escalate,
        _("%(number)s is escalated to the supervisors."),
        reason=_reason(request),
    )


@agents_only
@require_POST
def change_priority(request, number):
    form = PriorityForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(number)
    return _act(
        request,
        number,
        tickets.change_priority,
        _("%(number)s is now of priority “%(priority)s”; its deadlines are counted again."),
        words={"priority": dict(Ticket.Priority.choices)[form.cleaned_data["priority"]]},
        priority=form.cleaned_data["priority"],
        reason=form.cleaned_data["reason"],
    )


@agents_only
@require_POST
def resolve(request, number):
    return _act(
        request, number, tickets.resolve, _("%(number)s is resolved."), note=_reason(request)
    )


@agents_only
@require_POST
def reopen(request, number):
    return _act(
        request, number, tickets.reopen, _("%(number)s is reopened."), reason=_reason(request)
    )


@agents_only
@require_POST
def close(request, number):
    return _act(request, number, tickets.close, _("%(number)s is closed."), reason=_reason(request))


@agents_only
@require_POST
def draft_article(request, number, pk):
    if not request.user.has_perm(ADD_ARTICLE):
        raise PermissionDenied
    ticket = _plain_ticket(number)
    message = ticket.messages.select_related("author", "ticket").filter(pk=pk).first()
    if message is None:
        raise Http404
    form = DraftArticleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a category for the article."))
        return _back(number)
    try:
        knowledge.draft_article_from_message(
            message=message,
            actor=request.user,
            category=form.cleaned_data["category"],
            title=form.cleaned_data["title"],
        )
    except KnowledgeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A draft FAQ article was made from this reply."))
    return _back(number)


@never_cache
@agents_only
def attachment(request, number, pk):
    try:
        found = selectors.attachment_for_support(number=number, pk=pk)
    except TicketAttachment.DoesNotExist:
        raise Http404 from None
    return attachment_response(found)


def attachment_response(found):
    is_pdf = found.file.name.endswith(".pdf")
    return FileResponse(
        found.file.open("rb"),
        content_type="application/pdf" if is_pdf else "image/jpeg",
        # Photos show inline; PDFs are downloaded, never run in the shop's origin.
        as_attachment=is_pdf,
        filename=f"{found.message.ticket.number}-{found.pk}{'.pdf' if is_pdf else '.jpg'}",
    )


# --- Phone and email tickets ------------------------------------------------------------------


@agents_only
@require_http_methods(["GET", "POST"])
def new_ticket(request):
    form = PhoneTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opened = tickets.open_ticket(
                actor=request.user,
                shopper=form.shopper,
                type_=data["type"],
                channel=data["channel"],
                priority=data["priority"],
                category=data["category"],
                subject=data["subject"],
                body=data["body"],
                order=data["order_obj"],
            )
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(number)s is opened.") % {"number": opened.number})
            return _back(opened.number)
    return render(request, "support/tickets/new.html", {"support_area": "tickets", "form": form})


def _shows_contact(user, shopper) -> bool:
    """Whether ``user`` sees ``shopper``'s details unmasked; each such look is audited."""
    show = user.has_perm(SEE_CONTACT_DETAILS)
    if show:
        audit.record("contact.view_unmasked", actor=user, target=shopper, page="ticket")
    return show
