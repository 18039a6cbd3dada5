"""A refund the provider refused waits for a person: an operator submits it again from
the refunds admin; it is paid once, and a paid refund is never submitted again."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from mall.second_factor import VERIFIED_AT
from orders.exceptions import RefundRefused
from orders.models import Refund, SandboxRefund
from orders.providers.adapters import sandbox_gateway
from orders.services import payments
from tests.customers.factories import UserFactory
from tests.orders import paying
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db

REFUNDS = "/admin/orders/refund/"
TWO_FACTOR = reverse("customers:two_factor")


@pytest.fixture
def failed(db):
    payment = paying.pay(place(items=[(listed_sku(price="45.00", stock=10), 1)]))
    refund = payments.refund(
        payment=payment, amount="15.00", reason="退差价", idempotency_key="case-1", actor=None
    )
    # The provider believes more was refunded elsewhere (as a test only) and refuses.
    sandbox_gateway.refund(
        out_trade_no=payment.out_trade_no, out_request_no="elsewhere", amount=Decimal("50.00")
    )
    refund = payments.submit_refund(refund=refund)
    assert refund.status == Refund.Status.FAILED
    # Someone sorts it out with the provider; the refund can go through now.
    SandboxRefund.objects.filter(out_request_no="elsewhere").delete()
    trade = paying.trade_of(payment)
    trade.refunded_amount -= Decimal("50.00")
    trade.save(update_fields=["refunded_amount"])
    return refund


def _retry(client, refund):
    return client.post(
        REFUNDS, {"action": "retry_refund", "_selected_action": [refund.pk]}, follow=True
    )


def test_an_operator_submits_a_refused_refund_again_and_it_is_paid_once(client, failed):
    client.force_login(UserFactory(roles=["operator"]))
    assert "retry_refund" in client.get(REFUNDS).text

    _retry(client, failed)

    failed.refresh_from_db()
    assert failed.status == Refund.Status.SUCCEEDED and failed.attempts == 2
    assert SandboxRefund.objects.filter(out_request_no=failed.refund_no).count() == 1
    again = _retry(client, failed)
    assert any("paid already" in str(m) for m in get_messages(again.wsgi_request))
    assert SandboxRefund.objects.filter(out_request_no=failed.refund_no).count() == 1
    with pytest.raises(RefundRefused):
        payments.retry_refund(refund=failed, actor=None)


def test_staff_who_cannot_cancel_orders_cannot_push_refunds(client, failed):
    client.force_login(UserFactory(roles=["analyst"]))
    assert "retry_refund" not in client.get(REFUNDS).text
    _retry(client, failed)
    failed.refresh_from_db()
    assert failed.status == Refund.Status.FAILED


def _code_given_minutes_ago(client, minutes):
    session = client.session
    session[VERIFIED_AT] = (timezone.now() - datetime.timedelta(minutes=minutes)).isoformat()
    session.save()


def test_a_refund_above_the_limit_asks_for_the_code_again(client, failed, settings):
    settings.MALL_REAUTH_MINUTES = 5
    settings.MALL_REAUTH_REFUND_ABOVE = Decimal("10.00")  # the refund is 15.00
    client.force_login(UserFactory(roles=["operator"]))
    _code_given_minutes_ago(client, 6)

    asked = client.post(REFUNDS, {"action": "retry_refund", "_selected_action": [failed.pk]})

    assert asked.status_code == 302
    assert asked["Location"] == f"{TWO_FACTOR}?{urlencode({'next': REFUNDS})}"
    failed.refresh_from_db()
    assert failed.status == Refund.Status.FAILED and failed.attempts == 1
    # The code given a minute ago: the same refund goes through.
    _code_given_minutes_ago(client, 1)
    _retry(client, failed)
    failed.refresh_from_db()
    assert failed.status == Refund.Status.SUCCEEDED


def test_a_refund_within_the_limit_needs_no_fresh_code(client, failed, settings):
    settings.MALL_REAUTH_MINUTES = 5
    settings.MALL_REAUTH_REFUND_ABOVE = Decimal("15.00")
    client.force_login(UserFactory(roles=["operator"]))
    _code_given_minutes_ago(client, 60)
    _retry(client, failed)
    failed.refresh_from_db()
    assert failed.status == Refund.Status.SUCCEEDED
