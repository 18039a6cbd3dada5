"""买了又买: pairs bought together computed by SQL from the order lines (support,
confidence, lift, thresholds), the same table however often the job runs, the product
page's slot filled through the catalog's hook in a fixed number of queries, and each
slot's impressions, clicks and the orders after a click in the daily facts; the cart
page's 为你推荐 slot filled from the pairs of the cart's goods, else best sellers of
their categories, else of the shopper's segment, in at most three queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics import tasks
from analytics.models import CustomerScore, DailyProductFact, DailySlotFact, ProductPair
from analytics.models.segments import Segment
from analytics.services import facts, ingestion, recommendations
from catalog.models import Product
from orders.models import Order
from orders.services import cart as carts
from tests.analytics.test_dashboard import DASHBOARD, login
from tests.analytics.test_facts import emit
from tests.catalog.factories import CategoryFactory
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.orders.factories import listed_sku, place

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]

DAY = MID_MONTH.date()


@pytest.fixture
def no_thresholds(settings):
    settings.MALL_RECOMMENDATION_MIN_ORDERS = 1
    settings.MALL_RECOMMENDATION_MIN_SUPPORT = 0
    settings.MALL_RECOMMENDATION_MIN_CONFIDENCE = 0
    settings.MALL_RECOMMENDATION_MIN_LIFT = 0


@pytest.fixture
def baskets():
    """Five orders that count: {A, B}, {A, B, C}, {A}, {C}, {B}; and two that do not: a
    cancelled {A, C} and an {B, C} older than the window."""
    a, b, c = (listed_sku(name=name, stock=50) for name in ("龙井", "茶杯", "茶盘"))
    for items in ([a, b], [a, b, c], [a], [c], [b]):
        place(items=[(sku, 1) for sku in items])
    cancelled = place(items=[(a, 1), (c, 1)])
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    old = place(items=[(b, 1), (c, 1)])
    Order.objects.filter(pk=old.pk).update(placed_at=MID_MONTH - datetime.timedelta(days=200))
    return a.product_id, b.product_id, c.product_id


def _pairs():
    return {
        (p.product_id, p.other_id): (p.orders, p.support, p.confidence, p.lift)
        for p in ProductPair.objects.all()
    }


def test_pairs_have_the_support_confidence_and_lift_of_the_orders(baskets, no_thresholds):
    a, b, c = baskets
    assert recommendations.build_product_pairs() == 6
    d = Decimal
    assert _pairs() == {
        # 2 of 5 orders have A and B; A is in 3, B in 3: confidence 2/3, lift (2/3)/(3/5).
        (a, b): (2, d("0.400000"), d("0.666667"), d("1.1111")),
        (b, a): (2, d("0.400000"), d("0.666667"), d("1.1111")),
        # 1 of 5 has A and C; C is in 2: A→C 1/3, C→A 1/2, lift (1/3)/(2/5) = 5/6 both ways.
        (a, c): (1, d("0.200000"), d("0.333333"), d("0.8333")),
        (c, a): (1, d("0.200000"), d("0.500000"), d("0.8333")),
        (b, c): (1, d("0.200000"), d("0.333333"), d("0.8333")),
        (c, b): (1, d("0.200000"), d("0.500000"), d("0.8333")),
    }


def test_the_thresholds_in_settings_keep_only_pairs_worth_showing(baskets, settings):
    a, b, c = baskets
    # The defaults: bought together in 2 orders at least, lift 1 at least.
    assert recommendations.build_product_pairs() == 2
    assert set(_pairs()) == {(a, b), (b, a)}
    settings.MALL_RECOMMENDATION_MIN_ORDERS = 1
    settings.MALL_RECOMMENDATION_MIN_LIFT = 0
    settings.MALL_RECOMMENDATION_MIN_CONFIDENCE = "0.4"
    recommendations.build_product_pairs()
    assert set(_pairs()) == {(a, b), (b, a), (c, a), (c, b)}


def test_the_job_gives_the_same_pairs_however_often_it_runs(baskets, no_thresholds):
    def rows():
        return sorted(
            ProductPair.objects.values_list("product", "other", "orders", "support", "lift")
        )

    assert tasks.build_product_pairs.apply().get() == 6
    before = rows()
    tasks.build_product_pairs.apply().get()
    recommendations.build_product_pairs()
    assert rows() == before and ProductPair.objects.count() == 6


def test_the_product_page_shows_what_was_bought_with_it_in_a_counted_slot(
    client, baskets, no_thresholds, django_assert_max_num_queries
):
    a, b, c = baskets
    url = reverse("catalog:product", args=[a])
    # Without pairs the slot is not shown at all.
    page = client.get(url)
    assert page.status_code == 200 and 'data-rec-slot="bought_together"' not in page.text
    baseline = len(_queries(client, url))

    recommendations.build_product_pairs()
    page = client.get(url)
    assert page.context["bought_together"] == [Product.objects.get(pk=b), Product.objects.get(pk=c)]
    assert 'data-rec-slot="bought_together"' in page.text
    assert f'data-product="{b}"' in page.text
    # A delisted product leaves the slot; the other stays.
    Product.objects.filter(pk=c).update(status=Product.Status.DELISTED)
    assert client.get(url).context["bought_together"] == [Product.objects.get(pk=b)]

    # The slot costs two queries (the pairs, the goods), however many goods it shows.
    Product.objects.filter(pk=c).update(status=Product.Status.LISTED)
    for n in range(8):
        sku = listed_sku(name=f"茶叶{n}", stock=5)
        for _ in range(2):
            place(items=[(a_sku(a), 1), (sku, 1)])
    recommendations.build_product_pairs()
    with django_assert_max_num_queries(baseline + 1):
        page = client.get(url)
    assert len(page.context["bought_together"]) == 6  # MALL_RECOMMENDATION_SLOT_SIZE


def a_sku(product_id):
    return Product.objects.get(pk=product_id).skus.get()


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return captured.captured_queries


@pytest.mark.parametrize("slot_name", ["bought_together", "for_you"])
def test_a_slot_counts_impressions_clicks_and_the_orders_after_a_click(collecting, slot_name):
    tea, cup = listed_sku(name="龙井"), listed_sku(name="茶杯")
    she, he = "a" * 32, "b" * 32
    for visitor in (she, he):
        emit("page_view", visitor=visitor, source="beacon")
        emit("recommendation_impression", visitor=visitor, source="beacon", slot=slot_name)
    emit(
        "recommendation_click",
        visitor=she,
        source="beacon",
        slot=slot_name,
        product=cup.product_id,
    )
    emit(
        "recommendation_click",
        visitor=he,
        source="beacon",
        slot=slot_name,
        product=cup.product_id,
    )
    lines = [[cup.pk, cup.product_id, 1, "30.00"], [tea.pk, tea.product_id, 1, "45.00"]]
    # She buys the clicked cup in the same session: counted. He buys only the tea: not.
    emit("order_placed", visitor=she, order=101, amount="75.00", quantity=2, lines=lines)
    emit("order_placed", visitor=he, order=102, amount="45.00", quantity=1, lines=lines[1:])
    # An order from another session than the click is not the slot's either.
    emit("order_placed", visitor=she, session="c" * 32, order=103, amount="30.00", lines=lines[:1])
    ingestion.ingest_events()

    facts.build_day(day=DAY)
    facts.build_day(day=DAY)
    slot = DailySlotFact.objects.get(day=DAY)
    assert (slot.slot, slot.impressions, slot.clicks, slot.orders) == (slot_name, 2, 2, 1)


def test_the_dashboard_shows_each_slot(client):
    DailySlotFact.objects.create(
        day=DAY, slot="bought_together", impressions=200, clicks=10, orders=2
    )
    login(client, "analyst")
    page = client.get(DASHBOARD)
    [row] = page.context["slots"]
    assert (row["impressions"], row["clicks"], row["orders"]) == (200, 10, 2)
    assert (row["click_rate"], row["order_rate"]) == (5.0, 20.0)
    assert 'id="recommendation-slots"' in page.text


def _score(user, segment):
    now = MID_MONTH
    return CustomerScore.objects.create(
        user=user,
        first_order_at=now,
        last_order_at=now,
        recency_days=1,
        frequency=1,
        monetary=Decimal("10.00"),
        r_score=3,
        f_score=3,
        m_score=3,
        segment=segment,
        computed_at=now,
    )


def test_the_cart_page_recommends_what_goes_with_the_cart_then_what_sells(
    client, baskets, no_thresholds, django_assert_max_num_queries
):
    a, b, c = baskets
    recommendations.build_product_pairs()
    cart_url = reverse("orders:cart")
    shopper = UserFactory()
    client.force_login(shopper)
    # An empty cart of a shopper without a segment: nothing to go on, no slot.
    page = client.get(cart_url)
    assert page.context["for_you"] == [] and 'data-rec-slot="for_you"' not in page.text

    # Best sellers of the tea category (A's) over the last 30 days; an older one, one
    # that did not sell, and one of another category are left out.
    best, second, stale, unsold = (
        listed_sku(name=n, stock=5) for n in ("碧螺春", "白茶", "旧茶", "冷茶")
    )
    cups = CategoryFactory(name="茶具", name_en="Teaware", slug="teaware")
    elsewhere = listed_sku(name="茶壶", stock=5, category=cups)
    for sku, units, days_ago in (
        (best, 9, 1),
        (second, 4, 2),
        (stale, 50, 40),
        (unsold, 0, 1),
        (elsewhere, 80, 1),
    ):
        DailyProductFact.objects.create(
            day=DAY - datetime.timedelta(days=days_ago),
            product_id=sku.product_id,
            category_id=sku.product.category_id,
            orders=units,
            units=units,
        )
    # What customers of the shopper's segment bought: the last tier.
    _score(shopper, Segment.PROMISING)
    peer = UserFactory()
    _score(peer, Segment.PROMISING)
    place(user=peer, items=[(elsewhere, 1)])

    cart = carts.open_cart(user=shopper)
    carts.add_to_cart(cart=cart, sku_id=a_sku(a).pk, quantity=1)
    with django_assert_max_num_queries(20):
        page = client.get(cart_url)
    # Pairs (B lifts more than C), then the category's best sellers, then the segment's;
    # never what is in the cart.
    assert [p.pk for p in page.context["for_you"]] == [
        b,
        c,
        best.product_id,
        second.product_id,
        elsewhere.product_id,
    ]
    assert 'data-rec-slot="for_you"' in page.text and f'data-product="{b}"' in page.text

    carts.add_to_cart(cart=cart, sku_id=a_sku(b).pk, quantity=1)
    assert b not in [p.pk for p in client.get(cart_url).context["for_you"]]


def test_a_guest_with_an_empty_cart_costs_no_query_and_sees_no_slot(client):
    from catalog import selectors

    assert (
        selectors.recommended_for_basket(selectors.FOR_YOU, product_ids=[], user_id=None, limit=6)
        == []
    )
    page = client.get(reverse("orders:cart"))
    assert page.status_code == 200 and 'data-rec-slot="for_you"' not in page.text


def test_the_cart_slot_counts_on_the_dashboard(client):
    DailySlotFact.objects.create(day=DAY, slot="for_you", impressions=100, clicks=5, orders=1)
    login(client, "analyst")
    [row] = client.get(DASHBOARD).context["slots"]
    assert str(row["label"]) == "Recommended for you (cart page)" and row["clicks"] == 5
