"""The shopper's orders: the list, one order with its timeline, cancel, pay (again).

A shopper reaches only their own orders: anyone else's order is "not found", never
"forbidden", so order numbers reveal nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from mall.statemachine import IllegalTransition

from ..exceptions import OrderError
from ..forms.checkout import CancelOrderForm
from ..models import ORDER_MACHINE, Order
from ..providers import registry as provider_registry
from ..selectors import orders as selectors
from ..services import cart as carts
from ..services import fulfilment, ordering, payments
from ..services import risk_review as review
from ..services.checkout import SHIPPING_METHODS
from .cart import open_cart, safe_next
from .payments import payment_urls

PAGE_SIZE = 10
# What the shopper reads on the timeline for each step (the machine's labels are the
# operators' verbs: "record the payment", "cancel as unpaid").
TIMELINE_LABELS = {
    "place": gettext_lazy("Order placed"),
    "pay": gettext_lazy("Paid"),
    "approve_review": gettext_lazy("Order checked"),
    "start_fulfilment": gettext_lazy("Being packed"),
    "ship": gettext_lazy("Shipped"),
    "dispatched_late": gettext_lazy("Left the warehouse late"),
    "deliver": gettext_lazy("Delivered"),
    "complete": gettext_lazy("Completed"),
    "cancel": gettext_lazy("Cancelled"),
    "close": gettext_lazy("Closed"),
    "expire": gettext_lazy("Cancelled: not paid in time"),
}


def _own_order(request, number) -> Order:
    try:
        return selectors.order_detail(number=number, user=request.user)
    except Order.DoesNotExist:
        raise Http404 from None


ORDER_TAB_LABELS = {
    "all": gettext_lazy("All"),
    "to_pay": pgettext_lazy("order centre tab", "To pay"),
    "to_ship": gettext_lazy("To ship"),
    "to_receive": gettext_lazy("To receive"),
    "to_review": gettext_lazy("To review"),
    "after_sales": gettext_lazy("Refunds and after-sales"),
}


@login_required
def order_list(request):
    """The order centre: a tab per stage with its count (one query for all the counts),
    the orders of the chosen tab ten a page."""
    tab = request.GET.get("tab") if request.GET.get("tab") in selectors.ORDER_TABS else "all"
    orders = selectors.orders_in_tab(request.user, tab)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.order_tab_counts(request.user)
    tabs = [
        {"key": key, "label": ORDER_TAB_LABELS[key], "count": counts[key]}
        for key in selectors.ORDER_TABS
    ]
    return render(request, "orders/order_list.html", {"page_obj": page, "tabs": tabs, "tab": tab})


@login_required
@require_POST
def order_confirm_receipt(request, number):
    order = _own_order(request, number)
    try:
        fulfilment.confirm_receipt(order=order, actor=request.user)
    except IllegalTransition:
        messages.error(request, _("Only an order on its way can be confirmed as received."))
    else:
        messages.success(request, _("Thank you: the order is marked as received."))
    return redirect(safe_next(request, reverse("orders:order_detail", args=[number])))


@login_required
@require_POST
def order_buy_again(request, number):
    order = _own_order(request, number)
    result = carts.buy_again(order=order, cart=open_cart(request))
    if result.added:
        messages.success(
            request,
            ngettext(
                "%(count)s item is back in your cart.",
                "%(count)s items are back in your cart.",
                len(result.added),
            )
            % {"count": len(result.added)},
        )
    for reason in result.refused:
        messages.warning(request, reason)
    return redirect("orders:cart")


def timeline_of(order: Order) -> list[dict]:
    """The order's timeline as people read it: what happened, when, and why. Who acted is
    not shown to the shopper (staff names are private)."""
    labels = {name: step.label for name, step in ORDER_MACHINE.transitions.items()}
    labels.update(TIMELINE_LABELS)
    return [
        {
            "at": entry.at,
            "label": labels.get(entry.transition, entry.transition),
            "reason": entry.reason_text,
        }
        for entry in order.timeline.all()
    ]


@login_required
def order_detail(request, number):
    order = _own_order(request, number)
    context = {
        "order": order,
        "timeline": timeline_of(order),
        "shipping_method": SHIPPING_METHODS.get(order.shipping_method, order.shipping_method),
        "awaiting_review": review.awaiting_review(order),
        "can_pay": order.status == Order.Status.PENDING_PAYMENT,
        "pay_methods": provider_registry.choices(),
        "can_cancel": ordering.can_cancel(order),
        "cancel_form": CancelOrderForm(),
    }
    return render(request, "orders/order_detail.html", context)


@login_required
@require_POST
def order_cancel(request, number):
    order = _own_order(request, number)
    form = CancelOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the order is cancelled."))
        return redirect("orders:order_detail", number)
    try:
        ordering.cancel_order(order=order, actor=request.user, reason=form.cleaned_data["reason"])
    except (OrderError, IllegalTransition) as error:
        messages.error(request, str(error))
    else:
        if order.payments.exists():
            messages.success(
                request, _("The order is cancelled. Any payment is refunded to where it came from.")
            )
        else:
            messages.success(request, _("The order is cancelled."))
    return redirect("orders:order_detail", number)


@login_required
@require_POST
def order_pay(request, number):
    order = _own_order(request, number)
    try:
        started = payments.start_payment(order=order, actor=request.user, **payment_urls(request))
    except OrderError as error:
        messages.error(request, str(error))
        return redirect("orders:order_detail", number)
    return redirect(started.redirect_url)
