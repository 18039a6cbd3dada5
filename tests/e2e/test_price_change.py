"""Two operators change a price in the admin as people do, and a shopper sees the result:
a fake "was" price is refused with its figures, a deep cut waits for the second operator,
a scheduled rise is announced on the product page and then becomes the price."""

import datetime
import re

import pytest
from django.utils import timezone

from catalog import tasks
from catalog.models import PriceChange
from catalog.services import pricing
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import UserFactory
from tests.e2e.staff import staff_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sku(transactional_db):
    product = make_listed_product(name="明前龙井", category=tea_categories(), prices=("100.00",))
    return product.skus.get()


def _log_in(page, live_server, user, target):
    staff_sign_in(page, live_server, user.email, target)


def _request(page, live_server, sku, *, amount, reason, was="", date="", time=""):
    page.goto(f"{live_server.url}/admin/catalog/pricechange/add/?sku={sku.pk}")
    page.fill("#id_amount", amount)
    page.fill("#id_reference_amount", was)
    if date:
        page.fill("#id_effective_at_0", date)
        page.fill("#id_effective_at_1", time)
    page.fill("#id_reason", reason)
    page.click("input[type=submit]")


def test_two_operators_change_a_price_and_the_shopper_sees_notice_then_price(
    browser, live_server, artifacts_dir, sku
):
    first = UserFactory(roles=["operator"], email="first@mall.example")
    second = UserFactory(roles=["operator"], email="second@mall.example")
    product_url = f"{live_server.url}/product/{sku.product_id}/"
    contexts = [browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})]
    page = contexts[0].new_page()
    page.set_default_timeout(15_000)
    try:
        _log_in(page, live_server, first, "/admin/catalog/pricechange/")

        # A fake "was" price: 199 was never the price; the lowest of the week is 100.
        _request(page, live_server, sku, amount="89.00", was="199.00", reason="双十二促销")
        error = page.locator(".errornote").inner_text()
        assert "199.00" in error and "100.00" in error
        page.screenshot(path=artifacts_dir / "price-fake-was-refused.png", full_page=True)
        assert not PriceChange.objects.exists()

        # A deep cut (-41 %) waits for a second operator.
        _request(page, live_server, sku, amount="59.00", reason="临期清仓")
        page.wait_for_url(re.compile(rf"/pricechange/sku/{sku.pk}/"))
        cut = PriceChange.objects.get(amount="59.00")
        assert cut.status == PriceChange.Status.PENDING

        # A rise announced for tomorrow.
        tomorrow = timezone.localtime() + datetime.timedelta(days=1)
        _request(
            page,
            live_server,
            sku,
            amount="105.00",
            reason="成本上涨",
            date=tomorrow.strftime("%Y-%m-%d"),
            time="09:00:00",
        )
        page.wait_for_url(re.compile(rf"/pricechange/sku/{sku.pk}/"))
        rise = PriceChange.objects.get(amount="105.00")
        assert rise.status == PriceChange.Status.SCHEDULED
        page.screenshot(path=artifacts_dir / "price-audit-trail.png", full_page=True)

        # The shopper sees today's price and the notice of tomorrow's.
        page.goto(product_url)
        assert page.locator("#price").inner_text().startswith("¥100.00")
        notice = page.locator("#price-notice").inner_text()
        assert "¥105.00" in notice and tomorrow.strftime("%Y-%m-%d") in notice
        page.screenshot(path=artifacts_dir / "price-notice.png", full_page=True)

        # The second operator approves the cut from the "awaiting my approval" queue.
        contexts.append(
            browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        )
        other = contexts[1].new_page()
        other.set_default_timeout(15_000)
        _log_in(other, live_server, second, "/admin/catalog/pricechange/?approval=mine")
        rows = other.locator("#result_list tbody tr")
        assert rows.count() == 1
        rows.first.locator("input.action-select").check()
        other.select_option("select[name=action]", "approve")
        other.click("button[name=index]")
        other.wait_for_load_state()
        cut.refresh_from_db()
        assert (cut.status, cut.approved_by) == (PriceChange.Status.APPLIED, second)

        page.goto(product_url)
        assert page.locator("#price").inner_text().startswith("¥59.00")

        # Tomorrow comes: the beat job applies the rise, and the notice is gone.
        PriceChange.objects.filter(pk=rise.pk).update(effective_at=timezone.now())
        assert tasks.apply_scheduled_price_changes() == {"applied": 1, "cancelled": 0}
        page.goto(product_url)
        assert page.locator("#price").inner_text().startswith("¥105.00")
        assert page.locator("#price-notice").count() == 0
        assert pricing.current_price(sku).change == rise
        page.screenshot(path=artifacts_dir / "price-applied.png", full_page=True)
    finally:
        for context in contexts:
            context.close()
