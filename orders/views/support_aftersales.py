"""Support staff decide after-sales cases here (/support/after-sales/): the queue of cases
by status, a case with the order's lines, the shopper's photos and previous cases, and
approve / reject (with a reason) / close.

Only staff holding ``orders.decide_aftersalescase`` (the support roles; superusers) get
in: anyone else signed in gets 403, anonymous visitors the sign-in page. The services
check the permission again on every action.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mall import audit
from mall.statemachine import IllegalTransition
from mall.validators import may_see_contact_details

from ..forms.aftersales import ApproveForm, CloseForm, RejectForm
from ..models import AFTER_SALES_MACHINE, AfterSalesCase
from ..selectors import aftersales as selectors
from ..services import aftersales
from ..services.aftersales import DECIDE, AfterSalesError, carrier_label
from .aftersales import timeline_of

PAGE_SIZE = 25
DEFAULT_STATUS = AfterSalesCase.Status.REQUESTED


def deciders_only(view):
    """Sign in first; then staff who decide cases only (403 for everyone else)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if not (user.is_staff and user.has_perm(DECIDE)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _shows_contact(user, shopper) -> bool:
    """Whether ``user`` sees ``shopper``'s details unmasked; each such look is audited."""
    show = may_see_contact_details(user)
    if show:
        audit.record("contact.view_unmasked", actor=user, target=shopper, page="after-sales")
    return show


def _case(number) -> AfterSalesCase:
    try:
        return selectors.case_detail(number=number)
    except AfterSalesCase.DoesNotExist:
        raise Http404 from None


@deciders_only
def queue(request):
    statuses = dict(AfterSalesCase.Status.choices)
    status = request.GET.get("status", DEFAULT_STATUS)
    if status not in statuses and status != "all":
        status = DEFAULT_STATUS
    cases = selectors.support_queue(status=None if status == "all" else status)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.status_counts()
    tabs = [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in statuses.items()
    ]
    tabs.append({"value": "all", "label": _("All"), "count": sum(counts.values())})
    context = {"page_obj": page, "status": status, "tabs": tabs, "support_area": "aftersales"}
    return render(request, "support/aftersales/queue.html", context)


@deciders_only
def case(request, number):
    case = _case(number)
    context = {
        "support_area": "aftersales",
        "case": case,
        "order_lines": selectors.order_lines_of(case.order),
        "timeline": timeline_of(case, with_actors=True),
        "previous": selectors.previous_cases(case),
        "show_contact": _shows_contact(request.user, case.user),
        "carrier": carrier_label(case.return_carrier),
        "deadline": aftersales.claim_deadline(case.order, kind=case.kind, reason=case.reason),
        "can_decide": AFTER_SALES_MACHINE.can(case, "approve"),
        "can_close": AFTER_SALES_MACHINE.can(case, "close"),
        "approve_form": ApproveForm(),
        "reject_form": RejectForm(),
        "close_form": CloseForm(),
        "instructions": aftersales.return_instructions(case),
        "total_refund": (case.refund_amount or 0) + case.shipping_refund,
    }
    return render(request, "support/aftersales/case.html", context)


def _done(number):
    return redirect("support_aftersales:case", number)


@deciders_only
@require_POST
def approve(request, number):
    case = _case(number)
    form = ApproveForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        follow = aftersales.approve_case(case=case, actor=request.user, note=note)
    except (AfterSalesError, IllegalTransition) as error:
        messages.error(request, str(error))
        return _done(number)
    messages.success(request, _("%(number)s is approved.") % {"number": case.number})
    if follow.problem:
        messages.warning(
            request,
            _(
                "The refund could not be made yet: %(problem)s "
                "An operator can retry it in the admin."
            )
            % {"problem": follow.problem},
        )
    elif follow.case.status == AfterSalesCase.Status.REFUNDED:
        messages.success(request, _("The refund is on its way to the shopper."))
    return _done(number)


@deciders_only
@require_POST
def reject(request, number):
    case = _case(number)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request is rejected: the shopper reads it."))
        return _done(number)
    try:
        aftersales.reject_case(case=case, actor=request.user, reason=form.cleaned_data["reason"])
    except (AfterSalesError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(number)s is rejected.") % {"number": case.number})
    return _done(number)


@deciders_only
@require_POST
def close(request, number):
    case = _case(number)
    form = CloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        aftersales.close_case(case=case, actor=request.user, reason=note)
    except (AfterSalesError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(number)s is closed.") % {"number": case.number})
    return _done(number)
