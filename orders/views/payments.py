"""Payment pages: the providers' notification endpoint, the shopper's return page, and
the sandbox provider's hosted pay page (standing in for Alipay's or WeChat Pay's).

The return page and the pay page belong to the order's shopper alone: anyone else gets
"not found", so payment numbers reveal nothing.
"""

import logging
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mall.throttle import over_limit, too_many_requests

from ..models import Order, Payment, SandboxTrade
from ..providers.adapters import sandbox_gateway, wechatpay
from ..providers.base import BadSignature, Client, ProviderError, ProviderRefused
from ..providers.registry import UnknownProvider, enabled_names, get_provider
from ..services import payments
from ..services.payments.notices import REJECTED

logger = logging.getLogger("orders.payments")

MOBILE_AGENTS = ("Mobile", "Android", "iPhone", "iPad", "MicroMessenger")


def chosen_provider(request) -> str:
    """The provider the shopper chose (``provider`` in the form or the API body) when it
    is switched on; else the sandbox while it is on, else the first one switched on."""
    names = enabled_names()
    data = request.data if hasattr(request, "data") else request.POST
    wanted = str(data.get("provider", "") or "")
    if wanted in names:
        return wanted
    return "sandbox" if "sandbox" in names or not names else names[0]


def payment_urls(request, provider: str | None = None) -> dict:
    """The keyword arguments ``start_payment`` needs from a request: ``provider`` (the
    shopper's choice, see ``chosen_provider``), its absolute ``notify_url``, the absolute
    ``return_url`` template (with ``{out_trade_no}`` in place of the payment number) and
    the ``client`` (a phone's browser gets the providers' mobile pages)::

        start = payments.start_payment(order=order, actor=request.user, **payment_urls(request))
    """
    provider = provider or chosen_provider(request)
    placeholder = payments.OUT_TRADE_NO
    return_url = request.build_absolute_uri(reverse("payments:return", args=[placeholder]))
    agent = request.headers.get("User-Agent", "")
    return {
        "provider": provider,
        "notify_url": request.build_absolute_uri(reverse("payments:notify", args=[provider])),
        "return_url": return_url.replace(quote(placeholder), placeholder),
        "client": Client(
            mobile=any(word in agent for word in MOBILE_AGENTS),
            ip=request.META.get("REMOTE_ADDR", ""),
        ),
    }


@csrf_exempt
@require_POST
def notify(request, provider):
    """The provider's asynchronous notification, as each provider sends it (a form for
    Alipay and the sandbox, a signed JSON body for WeChat Pay), answered as each provider
    expects: taken (it stops resending) or refused.

    Anyone may POST here, so a body over ``MALL_PAYMENT_NOTIFY_MAX_BYTES`` is refused
    unread (413), one address posts at most ``MALL_PAYMENT_NOTIFY_RATE`` (429), and an
    unsigned body is stored truncated (``payments.handle_notification``)."""
    if over_limit(request, group="payments.notify", rate=settings.MALL_PAYMENT_NOTIFY_RATE):
        return too_many_requests(body="fail")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.MALL_PAYMENT_NOTIFY_MAX_BYTES:
        return HttpResponse("fail", status=413, content_type="text/plain; charset=utf-8")
    try:
        adapter = get_provider(provider)
    except UnknownProvider:
        raise Http404 from None
    except ProviderError:
        logger.error("notification for a provider without its keys", extra={"provider": provider})
        return HttpResponse("fail", status=503, content_type="text/plain; charset=utf-8")
    params = adapter.notification_params(
        body=request.body, headers=request.headers, form=request.POST.dict()
    )
    record = payments.handle_notification(provider=provider, params=params)
    answer = adapter.notification_answer(accepted=record.outcome not in REJECTED)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@login_required
@require_GET
def wechatpay_qr(request, token):
    """The shop's page for WeChat Pay's Native payment: the QR code the shopper scans with
    WeChat, and a link back to the order (the return page asks WeChat Pay)."""
    try:
        data = wechatpay.read_qr_token(token)
    except Exception:  # a bad or old token: nothing to show
        raise Http404 from None
    payment = _own_payment(request, data["no"], provider="wechatpay")
    qr = segno.make(data["url"], error="m")
    context = {
        "payment": payment,
        "qr_svg": qr.svg_inline(scale=6),
        "return_url": reverse("payments:return", args=[payment.out_trade_no]),
    }
    return render(request, "orders/payments/wechatpay_qr.html", context)


def _own_payment(request, out_trade_no, **filters) -> Payment:
    return get_object_or_404(
        Payment.objects.select_related("order"),
        out_trade_no=out_trade_no,
        order__user=request.user,
        **filters,
    )


def _tell(request, payment: Payment, order: Order) -> None:
    if payment.status == Payment.Status.SUCCEEDED and order.status != Order.Status.CANCELLED:
        messages.success(
            request,
            _("Thank you: your payment of %(amount)s was received.") % {"amount": payment.amount},
        )
    elif payment.paid_at is not None:
        messages.warning(
            request,
            _(
                "Your payment arrived after the order was cancelled or paid: it is refunded "
                "to where it came from."
            ),
        )
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, _("The payment did not go through. You can try again."))
    elif payment.status == Payment.Status.CLOSED:
        messages.info(request, _("This payment was closed without taking any money."))
    else:
        messages.info(
            request,
            _("The payment service has not confirmed your payment yet. This page will show it."),
        )


@login_required
@require_GET
def payment_return(request, out_trade_no):
    """Where the provider's page sends the shopper back. The signed parameters are
    checked, but only the provider's own answer (a notification, or a query now) counts;
    then the shopper sees the order."""
    payment = _own_payment(request, out_trade_no)
    order = payment.order
    try:
        notice = get_provider(payment.provider).parse_return(request.GET.dict())
        # WeChat Pay sends the shopper back without parameters: only the query counts.
        verified = notice.out_trade_no in ("", payment.out_trade_no)
    except (UnknownProvider, BadSignature):
        verified = False
    if not verified:
        logger.warning(
            "payment return rejected: bad signature",
            extra={"out_trade_no": payment.out_trade_no, "provider": payment.provider},
        )
        messages.warning(
            request,
            _(
                "We could not check the payment service's answer. If you paid, your order "
                "will show it shortly."
            ),
        )
        return redirect("orders:order_detail", order.number)
    if payment.status == Payment.Status.CREATED:
        payment = payments.confirm_by_query(payment=payment)
        order.refresh_from_db(fields=["status"])
    _tell(request, payment, order)
    return redirect("orders:order_detail", order.number)


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_pay(request, out_trade_no):
    """The sandbox's hosted pay page: the order's subject and amount, and two buttons,
    "Pay" and "Simulate a failure". A choice settles the trade in the sandbox's books,
    schedules its signed notification and sends the browser back to the shop. Only the
    order's shopper opens it (as a real provider's page asks its payer to sign in)."""
    if "sandbox" not in enabled_names():
        raise Http404
    _own_payment(request, out_trade_no, provider="sandbox")
    trade = get_object_or_404(SandboxTrade, out_trade_no=out_trade_no)
    status = 200
    if request.method == "POST":
        choice = request.POST.get("outcome")
        if choice in ("pay", "fail"):
            try:
                trade = sandbox_gateway.settle(out_trade_no=out_trade_no, succeed=choice == "pay")
            except ProviderRefused:
                trade.refresh_from_db()
                status = 409
            else:
                return redirect(sandbox_gateway.return_url(trade))
        else:
            status = 400
    payable = sandbox_gateway.is_payable(trade)
    context = {
        "trade": trade,
        "merchant": settings.MALL_NAME,
        "payable": payable,
        "back_url": sandbox_gateway.return_url(trade) if not payable else "",
        "choice_missing": status == 400,
    }
    return render(request, "orders/payments/sandbox_pay.html", context, status=status)
