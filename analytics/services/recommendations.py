"""买了又买: which goods are bought together, from the order lines, by SQL.

``build_product_pairs`` replaces the whole ``ProductPair`` table in one transaction from
one statement: the orders of the last ``MALL_RECOMMENDATION_PAIR_DAYS`` days that were not
cancelled, each reduced to the set of products it bought (gifts left out: nobody chose
them), every ordered pair of two products of one order counted, and the pairs kept that
pass the thresholds in settings. Running it again over the same orders gives the same
rows (``computed_at`` aside); a reader sees either the old table or the new one.

``bought_together`` is the catalog's recommendation source for the product page's slot
(registered in ``AnalyticsConfig.ready``): one indexed query.

``recommended_for_you`` fills the cart page's 为你推荐 slot: first the goods bought with
what is in the cart (the same pairs, best lift over all the cart's goods), then the best
sellers of the cart's categories over the last ``MALL_RECOMMENDATION_BESTSELLER_DAYS`` days
(from the daily product facts), in one query; and only when that leaves the slot short and
the shopper has an RFM segment, a second query: what customers of that segment bought in
the same days. Never more than two queries, whatever the cart or the tables hold.
"""

import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import ProductPair

logger = logging.getLogger("analytics.recommendations")

PAIRS_SQL = """
WITH baskets AS (
    SELECT DISTINCT l.order_id, s.product_id
    FROM orders_orderline l
    JOIN orders_order o ON o.id = l.order_id
    JOIN catalog_sku s ON s.id = l.sku_id
    WHERE o.placed_at >= %(since)s AND o.placed_at < %(until)s
      AND o.status <> 'cancelled' AND l.gift_source = ''
),
total AS (SELECT count(DISTINCT order_id)::numeric AS n FROM baskets),
singles AS (SELECT product_id, count(*)::numeric AS n FROM baskets GROUP BY product_id),
pairs AS (
    SELECT a.product_id, b.product_id AS other_id, count(*)::numeric AS n
    FROM baskets a JOIN baskets b ON b.order_id = a.order_id AND b.product_id <> a.product_id
    GROUP BY a.product_id, b.product_id
    HAVING count(*) >= %(min_orders)s
),
scored AS (
    SELECT p.product_id, p.other_id, p.n, p.n / t.n AS support, p.n / a.n AS confidence,
           (p.n / a.n) / (b.n / t.n) AS lift
    FROM pairs p
    CROSS JOIN total t
    JOIN singles a ON a.product_id = p.product_id
    JOIN singles b ON b.product_id = p.other_id
)
INSERT INTO analytics_productpair
    (product_id, other_id, orders, support, confidence, lift, computed_at)
SELECT product_id, other_id, n, round(support, 6), round(confidence, 6), round(lift, 4), %(now)s
FROM scored
WHERE support >= %(min_support)s AND confidence >= %(min_confidence)s AND lift >= %(min_lift)s
"""


@transaction.atomic
def build_product_pairs(*, now: datetime.datetime | None = None) -> int:
    """Replace every product pair with those of the orders of the window ending ``now``
    (default: this moment). Idempotent; returns how many pairs (each direction counted)
    were kept. Raises nothing of its own (a database error rolls the table back to what
    it was)."""
    now = now or timezone.now()
    params = {
        "since": now - datetime.timedelta(days=settings.MALL_RECOMMENDATION_PAIR_DAYS),
        "until": now,
        "now": now,
        "min_orders": settings.MALL_RECOMMENDATION_MIN_ORDERS,
        "min_support": settings.MALL_RECOMMENDATION_MIN_SUPPORT,
        "min_confidence": settings.MALL_RECOMMENDATION_MIN_CONFIDENCE,
        "min_lift": settings.MALL_RECOMMENDATION_MIN_LIFT,
    }
    # DELETE rather than TRUNCATE: readers keep seeing the old pairs until the commit.
    ProductPair.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(PAIRS_SQL, params)
        kept = cursor.rowcount
    logger.info("product pairs rebuilt", extra={"pairs": kept})
    return kept


def bought_together(product_id: int, limit: int) -> list[int]:
    """The products most often bought with ``product_id``, best first (lift, then
    confidence, then the number of orders): one query on an index."""
    return list(
        ProductPair.objects.filter(product_id=product_id)
        .order_by("-lift", "-confidence", "-orders", "other_id")
        .values_list("other_id", flat=True)[:limit]
    )


# Tier 1: goods bought with the cart's goods; tier 2: the cart's categories' best sellers.
FOR_BASKET_SQL = """
(SELECT p.other_id AS product_id, 1 AS tier, max(p.lift) AS score, sum(p.orders) AS n
 FROM analytics_productpair p
 WHERE p.product_id = ANY(%(products)s) AND p.other_id <> ALL(%(products)s)
 GROUP BY p.other_id
 ORDER BY score DESC, n DESC, p.other_id
 LIMIT %(limit)s)
UNION ALL
(SELECT f.product_id, 2, sum(f.units), sum(f.orders)
 FROM analytics_dailyproductfact f
 WHERE f.day >= %(since)s AND f.product_id <> ALL(%(products)s)
   AND f.category_id IN (SELECT category_id FROM catalog_product WHERE id = ANY(%(products)s))
 GROUP BY f.product_id
 HAVING sum(f.units) > 0
 ORDER BY 3 DESC, 4 DESC, f.product_id
 LIMIT %(limit)s)
ORDER BY tier, score DESC, n DESC, product_id
"""

# What the customers of the shopper's RFM segment bought (gifts left out).
FOR_SEGMENT_SQL = """
SELECT s.product_id
FROM analytics_customerscore me
JOIN analytics_customerscore peer ON peer.segment = me.segment
JOIN orders_order o ON o.user_id = peer.user_id
JOIN orders_orderline l ON l.order_id = o.id
JOIN catalog_sku s ON s.id = l.sku_id
WHERE me.user_id = %(user)s AND o.placed_at >= %(since)s AND o.status <> 'cancelled'
  AND l.gift_source = '' AND s.product_id <> ALL(%(products)s)
GROUP BY s.product_id
ORDER BY sum(l.quantity) DESC, count(DISTINCT o.id) DESC, s.product_id
LIMIT %(limit)s
"""


def recommended_for_you(product_ids: list[int], user_id: int | None, limit: int) -> list[int]:
    """Up to ``limit`` products for a shopper (``user_id``, None for a guest) whose cart
    holds ``product_ids``, best first, none of the cart's own: the goods bought with them,
    then their categories' best sellers, then the best sellers of the shopper's segment.
    One query, two when the first leaves the slot short and a shopper is known."""
    now = timezone.now()
    params = {
        "products": list(product_ids),
        "user": user_id,
        "limit": limit,
        "since": now - datetime.timedelta(days=settings.MALL_RECOMMENDATION_BESTSELLER_DAYS),
    }
    chosen: list[int] = []
    with connection.cursor() as cursor:
        if product_ids:
            cursor.execute(FOR_BASKET_SQL, {**params, "since": params["since"].date()})
            chosen = list(dict.fromkeys(row[0] for row in cursor.fetchall()))
        if len(chosen) < limit and user_id is not None:
            cursor.execute(FOR_SEGMENT_SQL, params)
            chosen = list(dict.fromkeys(chosen + [row[0] for row in cursor.fetchall()]))
    return chosen[:limit]
