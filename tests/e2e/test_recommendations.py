"""为你推荐 in the browser: a shopper's cart shows what is bought with its goods, a click
in the slot goes to the product and the beacon's click reaches the events table."""

import re

import pytest
from django.utils import timezone

from analytics.models import Event, ProductPair
from analytics.services import collection, ingestion
from tests.analytics.conftest import BROWSER
from tests.catalog.factories import make_listed_product, tea_categories
from tests.customers.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collecting(settings, redis_client):
    settings.MALL_ANALYTICS_COLLECT = True
    collection.reset_client()
    yield
    collection.reset_client()


def test_the_cart_recommends_what_goes_with_it_and_counts_the_click(
    browser, live_server, artifacts_dir, collecting
):
    tea = make_listed_product(
        name="明前龙井", category=tea_categories(), prices=("45.00",), stock=6
    )
    cup = make_listed_product(name="青瓷茶杯", category=tea.category, prices=("30.00",), stock=6)
    ProductPair.objects.create(
        product=tea,
        other=cup,
        orders=3,
        support="0.2",
        confidence="0.6",
        lift="2.5",
        computed_at=timezone.now(),
    )
    shopper = UserFactory(display_name="林夏")
    # A person's browser: a headless one is taken for a robot and its events dropped.
    context = browser.new_context(user_agent=BROWSER, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", shopper.phone)
        page.fill("#id_password", PASSWORD)
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/product/{tea.pk}/")
        page.click("#add-to-cart")
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/cart/")
        slot = page.locator("#for-you")
        assert slot.locator("h2").inner_text() == "为你推荐"
        assert slot.locator(".product-card").evaluate_all(
            "cards => cards.map(c => c.dataset.product)"
        ) == [str(cup.pk)]
        page.screenshot(path=str(artifacts_dir / "cart-for-you.png"), full_page=True)
        slot.locator(".product-card a").first.click()
        page.wait_for_url(re.compile(rf"/product/{cup.pk}/"))
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    ingestion.ingest_events()
    clicks = Event.objects.filter(name="recommendation_click", product_id=cup.pk)
    assert [e.properties["slot"] for e in clicks] == ["for_you"]
