"""The shopper's after-sales pages: ask from a delivered order, follow the case (status,
timeline, photos, where to send the goods), enter the return parcel, withdraw; the list
of their cases; the case's photos, which are private.

A shopper reaches only their own orders, cases and photos: anyone else's is "not found",
never "forbidden", so numbers reveal nothing. Every write goes through
``orders.services.aftersales``; its refusals come back as form errors or messages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mall.statemachine import IllegalTransition

from ..forms.aftersales import RequestForm, SendBackForm, WithdrawForm
from ..models import AFTER_SALES_MACHINE, AfterSalesCase, AfterSalesPhoto, Order
from ..selectors import aftersales as selectors
from ..services import aftersales
from ..services.aftersales import AfterSalesError, AfterSalesRefused, carrier_label

PAGE_SIZE = 10
VIEW_CASES = "orders.view_aftersalescase"
# What the shopper reads on the timeline for each step.
TIMELINE_LABELS = {
    "request": gettext_lazy("Requested"),
    "approve": gettext_lazy("Approved"),
    "reject": gettext_lazy("Rejected"),
    "withdraw": gettext_lazy("Withdrawn"),
    "send_back": gettext_lazy("Goods sent back"),
    "receive": gettext_lazy("Goods received and inspected"),
    "refund": gettext_lazy("Refunded"),
    "ship_replacement": gettext_lazy("Replacement on its way"),
    "repair": gettext_lazy("Repaired and sent back"),
    "close": gettext_lazy("Closed"),
}


def timeline_of(case: AfterSalesCase, *, with_actors: bool = False) -> list[dict]:
    """The case's timeline as people read it. Who acted is shown to staff only."""
    return [
        {
            "at": entry.at,
            "label": TIMELINE_LABELS.get(entry.transition, entry.transition),
            "reason": entry.reason_text,
            "actor": entry.actor if with_actors else None,
        }
        for entry in case.timeline.all()
    ]


def _own_order(request, number) -> Order:
    order = Order.objects.filter(user=request.user, number=number).first()
    if order is None:
        raise Http404
    return order


def _own_case(request, number) -> AfterSalesCase:
    try:
        return selectors.case_detail(number=number, user=request.user)
    except AfterSalesCase.DoesNotExist:
        raise Http404 from None


def _deadlines(order: Order) -> list[dict]:
    Kind, Reason = AfterSalesCase.Kind, AfterSalesCase.Reason
    rows = [
        (_("Return without a reason"), Kind.RETURN, Reason.NO_REASON),
        (_("Return, exchange or refund of faulty goods"), Kind.RETURN, Reason.QUALITY),
        (_("Repair under warranty"), Kind.REPAIR, Reason.QUALITY),
    ]
    today = timezone.localdate()
    deadlines = []
    for label, kind, reason in rows:
        until = aftersales.claim_deadline(order, kind=kind, reason=reason)
        deadlines.append({"label": label, "until": until, "open": bool(until and today <= until)})
    return deadlines


@login_required
def case_list(request):
    page = Paginator(selectors.cases_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/aftersales/case_list.html", {"page_obj": page})


@login_required
@require_http_methods(["GET", "POST"])
def case_request(request, number):
    order = _own_order(request, number)
    lines = selectors.order_lines_of(order)
    claimable = aftersales.claimable_units(order)
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, lines=lines, claimable=claimable)
    else:
        form = RequestForm(lines=lines, claimable=claimable)
    can_ask = order.status in aftersales.CLAIMABLE_ORDERS and order.delivered_at is not None
    if request.method == "POST" and can_ask and form.is_valid():
        data = form.cleaned_data
        try:
            case = aftersales.request_case(
                order=order,
                actor=request.user,
                kind=data["kind"],
                reason=data["reason"],
                lines=form.chosen_lines(),
                description=data["description"],
                photos=data["photos"],
            )
        except AfterSalesRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                _("Your request %(number)s is sent. We answer within one working day.")
                % {"number": case.number},
            )
            return redirect("aftersales:case_detail", case.number)
    context = {
        "order": order,
        "form": form,
        "can_ask": can_ask,
        "deadlines": _deadlines(order),
        "max_photos": aftersales.MAX_PHOTOS,
    }
    return render(request, "orders/aftersales/request.html", context)


@login_required
def case_detail(request, number):
    case = _own_case(request, number)
    status = case.status
    context = {
        "case": case,
        "timeline": timeline_of(case),
        "carrier": carrier_label(case.return_carrier),
        "instructions": aftersales.return_instructions(case)
        if status == AfterSalesCase.Status.APPROVED
        else "",
        "can_send_back": status == AfterSalesCase.Status.APPROVED
        and case.kind in aftersales.GOODS_COME_BACK,
        "can_withdraw": AFTER_SALES_MACHINE.can(case, "withdraw"),
        "send_back_form": SendBackForm(),
        "withdraw_form": WithdrawForm(),
        "total_refund": (case.refund_amount or 0) + case.shipping_refund,
    }
    return render(request, "orders/aftersales/case_detail.html", context)


def _act(request, case, perform, done: str):
    try:
        perform(case)
    except (AfterSalesError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("aftersales:case_detail", case.number)


@login_required
@require_POST
def case_send_back(request, number):
    case = _own_case(request, number)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("aftersales:case_detail", case.number)
    data = form.cleaned_data
    return _act(
        request,
        case,
        lambda case: aftersales.send_back(
            case=case,
            actor=request.user,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
        ),
        _("Thank you: we will inspect the goods when they arrive."),
    )


@login_required
@require_POST
def case_withdraw(request, number):
    case = _own_case(request, number)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        case,
        lambda case: aftersales.withdraw_case(case=case, actor=request.user, reason=reason),
        _("The request is withdrawn."),
    )


@never_cache
@login_required
def case_photo(request, number, pk):
    """A case's photo, to the case's shopper and to staff who may view cases; never
    cached by a browser or a proxy. Anyone else: not found (staff without the
    permission: forbidden)."""
    photo = get_object_or_404(
        AfterSalesPhoto.objects.select_related("case"), pk=pk, case__number=number
    )
    user = request.user
    if photo.case.user_id != user.pk:
        if not user.is_staff:
            raise Http404
        if not user.has_perm(VIEW_CASES):
            raise PermissionDenied
    return FileResponse(
        photo.image.open("rb"),
        content_type="image/jpeg",
        as_attachment=False,
        filename=f"{photo.case.number}-{photo.pk}.jpg",
    )
