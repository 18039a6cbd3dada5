"""A return in the browser, as people do it: the shopper asks from a delivered order with a
photo, a support agent approves in /support/after-sales/, the shopper enters the return
parcel, the warehouse receives and inspects it in the admin; the unit is back in stock
and the refund is paid exactly once."""

import io
import re
from decimal import Decimal

import pytest
from PIL import Image

from catalog.models import Stock, StockMovement
from orders import tasks
from orders.models import AfterSalesCase, Payment, Refund
from orders.services import payments
from tests.customers.factories import UserFactory
from tests.e2e.staff import staff_sign_in
from tests.orders import paying
from tests.orders.aftersales_helpers import delivered_order
from tests.orders.factories import listed_sku

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def enqueued(monkeypatch):
    """The refund's submission, enqueued after commit, is recorded; the test plays the worker."""
    calls = []
    monkeypatch.setattr(tasks.submit_refund, "delay", calls.append)
    return calls


def _log_in(page, live_server, login, target):
    staff_sign_in(page, live_server, login, target)


def _context_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_a_shopper_returns_an_item_and_is_refunded_once(
    browser, page, live_server, artifacts_dir, tmp_path, transactional_db, enqueued
):
    tea = listed_sku(price="45.00", stock=10, name="明前龙井")
    shopper = UserFactory(display_name="林夏")
    agent = UserFactory(roles=["support_agent"], email="agent@mall.example")
    clerk = UserFactory(roles=["warehouse"], email="clerk@mall.example")
    order = delivered_order(items=[(tea, 2)], user=shopper)  # 90.00 + 10.00 shipping
    stock = Stock.objects.get(sku=tea)
    on_hand = stock.on_hand
    photo = tmp_path / "damaged.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "sienna").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    # The shopper asks from the order page: one of two, arrived damaged, with a photo.
    _log_in(page, live_server, shopper.phone, f"/orders/{order.number}/")
    page.click("#ask-after-sales")
    page.wait_for_url(re.compile(rf"/after-sales/request/{order.number}/$"))
    page.check("input[name=kind][value=return]")
    page.select_option("#id_reason", "damaged")
    page.fill(f"#id_line_{order.lines.get().pk}", "1")
    page.fill("#id_description", "外盒压扁，茶罐凹陷")
    page.set_input_files("#id_photos", str(photo))
    page.screenshot(path=str(artifacts_dir / "after-sales-request.png"), full_page=True)
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/after-sales/AS\d+/$"))
    case = AfterSalesCase.objects.get()
    assert (case.kind, case.reason, case.status) == ("return", "damaged", "requested")
    assert page.locator("#case-photos img").count() == 1

    # A support agent approves it in the support view.
    agent_context, agent_page = _context_page(browser)
    try:
        _log_in(agent_page, live_server, agent.email, "/support/after-sales/")
        agent_page.screenshot(path=str(artifacts_dir / "after-sales-queue.png"), full_page=True)
        agent_page.click(f"#queue a:text('{case.number}')")
        agent_page.wait_for_url(re.compile(rf"/support/after-sales/{case.number}/$"))
        assert agent_page.locator("#case-photos img").count() == 1
        assert "外盒压扁" in agent_page.locator("#case-description").inner_text()
        agent_page.screenshot(path=str(artifacts_dir / "after-sales-support.png"), full_page=True)
        agent_page.click("#approve")
        agent_page.wait_for_load_state()
    finally:
        agent_context.close()
    case.refresh_from_db()
    assert case.status == "approved"

    # The shopper sends it back and enters the tracking number.
    page.reload()
    assert case.number in page.locator("#return-instructions").inner_text()
    page.select_option("#id_carrier", "sf")
    page.fill("#id_tracking_number", "SF1400012345678")
    page.click("#send-back-submit")
    page.wait_for_load_state()
    assert "SF1400012345678" in page.locator("#return-parcel").inner_text()
    case.refresh_from_db()
    assert case.status == "in_transit"

    # The warehouse receives it in the admin: fit to sell again.
    clerk_context, clerk_page = _context_page(browser)
    try:
        target = f"/admin/orders/aftersalescase/{case.pk}/change/"
        _log_in(clerk_page, live_server, clerk.email, target)
        clerk_page.click("#inspect-link")
        clerk_page.wait_for_url(re.compile(r"/inspect/$"))
        clerk_page.screenshot(path=str(artifacts_dir / "after-sales-inspect.png"), full_page=True)
        clerk_page.click("#inspect-submit")
        clerk_page.wait_for_url(re.compile(rf"/aftersalescase/{case.pk}/change/$"))
        assert clerk_page.locator(".messagelist .success").count() >= 1
    finally:
        clerk_context.close()

    # The stock came back with a return movement, and the refund was made once:
    # 45.00 for the unit and 5.00, its share of the shipping (the goods were at fault).
    case.refresh_from_db()
    assert case.status == "refunded"
    stock.refresh_from_db()
    assert stock.on_hand == on_hand + 1
    movement = StockMovement.objects.get(stock=stock, kind=StockMovement.Kind.RETURN)
    assert (movement.quantity, movement.reference) == (1, case.number)
    refund = Refund.objects.get()
    assert (
        refund.amount == Decimal("50.00") and refund.idempotency_key == f"aftersales-{case.number}"
    )
    payment = Payment.objects.get(order=order, status=Payment.Status.SUCCEEDED)
    assert payment.refunded_amount == Decimal("50.00")
    assert enqueued == [refund.pk]
    # The worker submits it (twice, as a retry would): the provider pays once.
    assert tasks.submit_refund.apply(args=[refund.pk]).get() == Refund.Status.SUCCEEDED
    payments.submit_refund(refund=refund)
    assert paying.trade_of(payment).refunds.count() == 1
    assert paying.trade_of(payment).refunded_amount == Decimal("50.00")

    page.reload()
    assert page.locator("#refund-total").inner_text() == "¥50.00"
    page.screenshot(path=str(artifacts_dir / "after-sales-refunded.png"), full_page=True)
