"""Helpers for payment tests: start a payment as the order page does, let the sandbox's
payer choose, and hand the shop the sandbox's signed notification."""

from django.test import RequestFactory

from orders.models import Payment, SandboxTrade
from orders.providers.adapters import sandbox_gateway
from orders.services import payments
from orders.views.payments import payment_urls


def start(order, *, actor=None, host="testserver") -> payments.PaymentStart:
    """Start a payment of ``order`` with the URLs a view on ``host`` would give."""
    request = RequestFactory().get("/", HTTP_HOST=host)
    return payments.start_payment(
        order=order, actor=actor or order.user, **payment_urls(request, "sandbox")
    )


def trade_of(payment: Payment) -> SandboxTrade:
    return SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)


def settle(payment: Payment, *, succeed: bool = True) -> SandboxTrade:
    """The payer's choice on the hosted page (its notification is not delivered)."""
    return sandbox_gateway.settle(out_trade_no=payment.out_trade_no, succeed=succeed)


def notification(payment: Payment) -> dict[str, str]:
    """The signed notification the sandbox would POST about ``payment``'s trade now."""
    return sandbox_gateway.notification_params(trade_of(payment))


def notify(payment: Payment):
    """Deliver the sandbox's notification about ``payment`` to the shop's handler."""
    return payments.handle_notification(provider="sandbox", params=notification(payment))


def forged(params: dict[str, str], **changes) -> dict[str, str]:
    """``params`` changed and signed again with the sandbox's key (as only the sandbox,
    or someone holding its key, could)."""
    return sandbox_gateway.signed(
        {k: v for k, v in {**params, **changes}.items() if k not in ("sign", "sign_type")}
    )


def pay(order) -> Payment:
    """Start, pay and notify: the order is paid by the returned payment."""
    payment = start(order).payment
    settle(payment)
    notify(payment)
    payment.refresh_from_db()
    return payment
