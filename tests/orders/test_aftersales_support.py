"""Support staff decide cases in /support/after-sales/ (only they: shoppers, operators and
the warehouse get 403, anonymous visitors the sign-in page); the warehouse receives and
inspects in the admin, operators retry refunds there; the after-sales report adds up on
known data, as a page and as CSV."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.selectors import aftersales as selectors
from catalog.models import Stock, StockMovement
from mall import roles
from orders.models import AfterSalesCase, Refund
from orders.services import aftersales, payments
from orders.services.aftersales import Inspection
from tests.catalog.factories import SupplierFactory
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.orders.aftersales_helpers import (
    Kind,
    Reason,
    agent,
    approved,
    ask,
    delivered_order,
    inspected,
    operator,
    sent_back,
    staff,
    warehouse_clerk,
)
from tests.orders.factories import listed_sku
from tests.orders.test_aftersales_pages import queries, small_and_large_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(db):
    return listed_sku(price="45.00", stock=10)


@pytest.fixture
def order(tea):
    return delivered_order(items=[(tea, 2)])


@pytest.fixture
def case(order):
    return ask(order, reason=Reason.DAMAGED, description="盒子破了")


def _queue():
    return reverse("support_aftersales:queue")


def _case_url(case):
    return reverse("support_aftersales:case", args=[case.number])


# --- Who gets in ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, case):
    for url in (_queue(), _case_url(case)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["shopper", roles.OPERATOR, roles.WAREHOUSE, roles.ANALYST])
def test_everyone_but_support_is_forbidden(client, case, who):
    user = case.user if who == "shopper" else staff(who)
    client.force_login(user)
    assert client.get(_queue()).status_code == 403
    assert client.get(_case_url(case)).status_code == 403
    for action in ("approve", "reject", "close"):
        url = reverse(f"support_aftersales:{action}", args=[case.number])
        assert client.post(url, {"reason": "不行", "note": ""}).status_code == 403
    case.refresh_from_db()
    assert case.status == "requested"


@pytest.mark.parametrize("role", [roles.SUPPORT_AGENT, roles.SUPPORT_SUPERVISOR])
def test_support_roles_and_superusers_get_in(client, case, role):
    for user in (staff(role), UserFactory(is_staff=True, is_superuser=True)):
        client.force_login(user)
        page = client.get(_queue()).content.decode()
        assert case.number in page and 'class="support-title"' in page
        assert client.get(_case_url(case)).status_code == 200


# --- The queue and a case ------------------------------------------------------------------


def test_the_queue_filters_by_status(client, order, tea):
    waiting = ask(order, units={order.lines.get(): 1})
    decided = approved(ask(order, units={order.lines.get(): 1}))
    client.force_login(agent())
    page = client.get(_queue()).content.decode()  # requested cases by default
    assert waiting.number in page and decided.number not in page
    page = client.get(_queue(), {"status": "approved"}).content.decode()
    assert decided.number in page and waiting.number not in page
    page = client.get(_queue(), {"status": "all"}).content.decode()
    assert decided.number in page and waiting.number in page
    assert "Requested (1)" in page and "Approved (1)" in page
    page = client.get(_queue(), {"status": "nonsense"}).content.decode()
    assert waiting.number in page and decided.number not in page


def test_a_case_shows_the_order_photos_and_the_shoppers_previous_cases(client, case, tea):
    earlier = ask(delivered_order(items=[(tea, 1)], user=case.user))
    client.force_login(agent())
    page = client.get(_case_url(case)).content.decode()
    assert "盒子破了" in page and "龙井" in page
    photo = case.photos.get()
    assert reverse("aftersales:photo", args=[case.number, photo.pk]) in page
    assert earlier.number in page
    assert 'id="approve-form"' in page and 'id="reject-form"' in page


def test_an_agent_approves_and_the_shopper_is_told(client, case):
    client.force_login(agent())
    response = client.post(
        reverse("support_aftersales:approve", args=[case.number]),
        {"note": "请寄回"},
        follow=True,
    )
    assert "is approved" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "approved"
    entry = case.timeline.get(transition="approve")
    assert entry.reason == "请寄回" and entry.actor.groups.filter(name="support_agent").exists()
    assert case.user.notifications.filter(title__contains=case.number).exists()
    # Twice: a clear message, nothing changes.
    response = client.post(
        reverse("support_aftersales:approve", args=[case.number]), {}, follow=True
    )
    assert "is not possible" in response.content.decode()


def test_a_refund_without_return_is_paid_when_approved(client, order):
    case = ask(order, kind=Kind.REFUND, reason=Reason.MISSING)
    client.force_login(agent())
    response = client.post(
        reverse("support_aftersales:approve", args=[case.number]), {}, follow=True
    )
    assert "The refund is on its way" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "refunded" and case.refund.amount == Decimal("100.00")


def test_a_rejection_needs_a_reason(client, case):
    client.force_login(agent())
    url = reverse("support_aftersales:reject", args=[case.number])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "requested"
    client.post(url, {"reason": "人为损坏，不在保修范围"})
    case.refresh_from_db()
    assert case.status == "rejected"
    client.post(reverse("support_aftersales:close", args=[case.number]), {"note": ""})
    case.refresh_from_db()
    assert case.status == "closed"


def test_the_support_pages_run_a_fixed_number_of_queries(
    client, tea, django_assert_max_num_queries
):
    shopper = UserFactory()
    for _ in range(5):
        ask(delivered_order(items=[(tea, 1)], user=shopper), reason=Reason.QUALITY)
    last = AfterSalesCase.objects.latest("pk")
    client.force_login(agent())
    with django_assert_max_num_queries(9):
        assert client.get(_queue(), {"status": "all"}).status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get(_case_url(last)).status_code == 200


def test_the_support_case_page_runs_the_same_queries_for_one_line_or_many(
    client, tea, django_assert_max_num_queries
):
    shopper = UserFactory()
    small, large = small_and_large_cases(shopper, tea, listed_sku(price="199.00", name="铁壶"))
    client.force_login(agent())
    small_queries = queries(client, _case_url(small))  # one previous case: the large one
    for _ in range(3):
        ask(delivered_order(items=[(tea, 1)], user=shopper), reason=Reason.QUALITY)
    with django_assert_max_num_queries(11):
        page = client.get(_case_url(large))
    body = page.content.decode()
    assert len(page.context["order_lines"]) == 3 and len(page.context["previous"]) == 4
    assert len(set(re.findall(r"/photos/(\d+)/", body))) == 3
    # Every step of the timeline names its actor: the shopper, support, the warehouse.
    assert [entry["actor"] is not None for entry in page.context["timeline"]] == [True] * 5
    assert queries(client, _case_url(large)) == small_queries


# --- The admin: receive and inspect, retries -----------------------------------------------


def _inspect_url(case):
    return reverse("admin:orders_aftersalescase_inspect", args=[case.pk])


def _in_transit(case):
    approved(case)
    return sent_back(case)


def test_the_warehouse_receives_and_inspects_in_the_admin(client, case, tea):
    _in_transit(case)
    line = case.lines.get()
    on_hand = Stock.objects.get(sku=tea).on_hand
    client.force_login(warehouse_clerk())
    change = client.get(reverse("admin:orders_aftersalescase_change", args=[case.pk]))
    page = change.content.decode()
    assert change.status_code == 200 and _inspect_url(case) in page
    assert reverse("aftersales:photo", args=[case.number, case.photos.get().pk]) in page
    form = client.get(_inspect_url(case)).content.decode()
    assert f'name="resaleable_{line.pk}"' in form
    response = client.post(
        _inspect_url(case),
        {
            f"resaleable_{line.pk}": "1",
            f"written_off_{line.pk}": "1",
            f"reason_{line.pk}": "",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "say why units are written off" in response.content.decode()
    response = client.post(
        _inspect_url(case),
        {
            f"resaleable_{line.pk}": "1",
            f"written_off_{line.pk}": "1",
            f"reason_{line.pk}": "屏幕碎裂",
            "note": "",
        },
        follow=True,
    )
    assert "received and inspected" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "refunded"
    assert Stock.objects.get(sku=tea).on_hand == on_hand + 1
    assert StockMovement.objects.filter(kind="return", reference=case.number).count() == 1
    # Nothing left to receive.
    response = client.get(_inspect_url(case), follow=True)
    assert "nothing to receive" in response.content.decode()


def test_only_the_warehouse_may_inspect(client, case):
    _in_transit(case)
    client.force_login(operator())
    assert client.get(_inspect_url(case)).status_code == 403
    assert client.post(_inspect_url(case), {"note": "x"}).status_code == 403
    # Support staff do not enter the admin at all.
    client.force_login(agent())
    response = client.get(_inspect_url(case))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    case.refresh_from_db()
    assert case.status == "in_transit"


def test_an_operator_retries_refunds_in_the_admin(client, case, order):
    _in_transit(case)
    case = inspected(case).case
    # The provider refused the automatic refund: it waits for a person.
    Refund.objects.filter(pk=case.refund_id).update(status=Refund.Status.FAILED)
    changelist = reverse("admin:orders_aftersalescase_changelist")
    client.force_login(warehouse_clerk())  # not theirs: no refund action offered
    page = client.get(changelist).content.decode()
    assert 'value="refund"' not in page and 'value="ship_replacement"' in page
    client.force_login(operator())
    response = client.post(
        changelist, {"action": "refund", "_selected_action": [case.pk]}, follow=True
    )
    assert "1 refunds made or submitted again" in response.content.decode()
    case.refresh_from_db()
    assert case.refund.status == Refund.Status.SUCCEEDED and Refund.objects.count() == 1
    # A case whose refund cannot be made (the payment has too little left): the reason.
    other = ask(
        delivered_order(items=[(listed_sku(price="30.00"), 1)]),
        kind=Kind.REFUND,
        reason=Reason.QUALITY,
    )
    payment = other.order.payments.get(status="succeeded")
    payments.refund(payment=payment, amount="35.00", reason="x", idempotency_key="k", actor=None)
    approved(other)
    response = client.post(
        changelist, {"action": "refund", "_selected_action": [other.pk]}, follow=True
    )
    assert "At most 5.00" in response.content.decode()


# --- The report ----------------------------------------------------------------------------


@pytest.fixture
def report_data(db):
    """Two suppliers; cases by reason; one refunded return of a crab, one rejected case."""
    good, bad = SupplierFactory(name="优质茶业"), SupplierFactory(name="问题水产")
    tea = listed_sku(price="45.00", stock=20, name="龙井")
    crab = listed_sku(price="100.00", stock=20, name="大闸蟹")
    type(tea.product).objects.filter(pk=tea.product_id).update(supplier=good)
    type(crab.product).objects.filter(pk=crab.product_id).update(supplier=bad)
    shopper = UserFactory()
    crab_order = delivered_order(items=[(crab, 3), (tea, 1)], user=shopper)
    crab_line, tea_line = sorted(crab_order.lines.all(), key=lambda line: -line.unit_price)
    refunded = ask(crab_order, reason=Reason.DAMAGED, units={crab_line: 2})
    approved(refunded)
    sent_back(refunded)
    inspected(
        refunded,
        results={refunded.lines.get().pk: Inspection(written_off=2, write_off_reason="死蟹")},
    )
    ask(crab_order, kind=Kind.EXCHANGE, reason=Reason.QUALITY, units={crab_line: 1})
    ask(crab_order, units={tea_line: 1})  # a change of mind, still open
    rejected = ask(delivered_order(items=[(tea, 1)], user=shopper), reason=Reason.QUALITY)
    aftersales.reject_case(case=rejected, actor=agent(), reason="无质量问题")
    return {"tea": tea, "crab": crab, "good": good, "bad": bad}


def _today():
    return timezone.localdate()


# The report tests make cases now and ask for today's report: from a fixed moment, so that
# a run across midnight does not ask for the day after the cases.
@pytest.mark.time_machine(MID_MONTH)
def test_the_report_adds_up_by_product_supplier_and_reason(report_data):
    today = _today()
    by_product = selectors.after_sales_report(by="product", start=today, end=today)
    crab, tea = by_product.rows
    assert (crab.label, crab.cases, crab.fault_cases, crab.units) == ("大闸蟹", 2, 2, 3)
    assert (crab.written_off, crab.back_to_stock, crab.refunded) == (2, 0, Decimal("200.00"))
    assert crab.sold == 3 and crab.per_hundred_sold == Decimal("100.0")
    assert (tea.label, tea.cases, tea.fault_cases, tea.units, tea.refunded) == (
        "龙井",
        1,
        0,
        1,
        Decimal("0.00"),
    )
    assert tea.sold == 2  # the rejected case's order still counts as sold
    assert by_product.totals["cases"] == 3 and by_product.totals["refunded"] == Decimal("200.00")
    by_supplier = selectors.after_sales_report(by="supplier", start=today, end=today)
    suppliers = [(row.label, row.cases) for row in by_supplier.rows]
    assert suppliers == [("问题水产", 2), ("优质茶业", 1)]
    by_reason = selectors.after_sales_report(by="reason", start=today, end=today)
    rows = {row.key: row for row in by_reason.rows}
    assert set(rows) == {"damaged", "quality", "no_reason"}
    assert rows["damaged"].refunded == Decimal("200.00") and rows["damaged"].units == 2
    assert rows["damaged"].shipping_refunded == Decimal("0.00")
    assert rows["quality"].cases == 1  # the rejected one is left out
    yesterday = today - datetime.timedelta(days=1)
    assert selectors.after_sales_report(by="reason", start=yesterday, end=yesterday).rows == []


@pytest.mark.time_machine(MID_MONTH)
def test_the_report_page_and_csv(client, report_data, django_assert_max_num_queries):
    url = reverse("admin:analytics_aftersales_report")
    client.force_login(staff(roles.ANALYST))
    with django_assert_max_num_queries(12):
        page = client.get(url, {"by": "supplier", "start": _today(), "end": _today()})
    text = page.content.decode()
    assert page.status_code == 200 and "问题水产" in text and "200.00" in text
    csv = client.get(url, {"by": "product", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("product,cases,for faulty goods,units claimed")
    assert lines[1].startswith("大闸蟹,2,2,3,0,2,200.00,3,100.0")
    bad = client.get(url, {"by": "product", "start": "2026-02-01", "end": "2026-01-01"})
    assert "ends before it starts" in bad.content.decode()
    # Listed on the admin index for those who may see it.
    assert url in client.get(reverse("admin:index")).content.decode()


def test_the_report_needs_the_permission(client, report_data):
    url = reverse("admin:analytics_aftersales_report")
    client.force_login(staff(roles.WAREHOUSE))
    assert client.get(url).status_code == 200  # the warehouse views cases too
    nobody = UserFactory(is_staff=True)
    client.force_login(nobody)
    assert client.get(url).status_code == 302  # not back office: the admin's sign-in
