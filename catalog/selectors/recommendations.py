"""Recommendation slots on the storefront's goods pages, filled from above.

The catalog shows a slot ("买了又买" under a product: ``BOUGHT_TOGETHER``) but does not
know what to put in it: that is computed by the analytics app, which sits above and may
not be imported here. Analytics registers a source per slot in its ``AppConfig.ready``
(``register_recommendation_source``); with none registered (a test of the catalog alone,
a shop without analytics) the slot is simply not shown.

A source takes ``(product_id, limit)`` and returns product ids, best first, in one query.
The page then reads those goods with ``listed_products`` (one more query), so a slot costs
two queries whatever its size, and a delisted product never appears. A source that fails
is logged and the page goes on without the slot.

A basket slot ("为你推荐" on the cart page: ``FOR_YOU``) works the same way but is asked
about several goods and a shopper: its source takes ``(product_ids, user_id, limit)``
(``user_id`` is None for a guest) and is registered with
``register_basket_recommendation_source``; it may take two queries (what goes with the
goods, else what sells), so the slot costs three at most.
"""

import logging
from collections.abc import Callable

from catalog.models import Product
from catalog.selectors.listings import listed_products

logger = logging.getLogger("catalog.recommendations")

BOUGHT_TOGETHER = "bought_together"
FOR_YOU = "for_you"

RecommendationSource = Callable[[int, int], list[int]]
BasketRecommendationSource = Callable[[list[int], int | None, int], list[int]]
_SOURCES: dict[str, RecommendationSource] = {}
_BASKET_SOURCES: dict[str, BasketRecommendationSource] = {}


def register_recommendation_source(slot: str, source: RecommendationSource) -> None:
    """Fill the slot ``slot`` with ``source(product_id, limit)`` (the last one registered
    for a slot wins, so registering again is harmless)."""
    _SOURCES[slot] = source


def register_basket_recommendation_source(slot: str, source: BasketRecommendationSource) -> None:
    """Fill the basket slot ``slot`` with ``source(product_ids, user_id, limit)`` (the last
    one registered for a slot wins)."""
    _BASKET_SOURCES[slot] = source


def recommended_products(slot: str, *, product_id: int, limit: int) -> list[Product]:
    """Up to ``limit`` listed goods for ``slot`` beside ``product_id``, in the source's
    order, annotated like a listing (price range, availability, thumbnail): at most two
    queries. Empty when no source is registered or the source fails."""
    source = _SOURCES.get(slot)
    if source is None or limit <= 0:
        return []
    try:
        # Ask for spares: some of the ids may have been delisted since they were computed.
        ids = [pk for pk in source(product_id, limit * 2) if pk != product_id]
    except Exception:
        logger.exception("recommendation source of slot %s failed", slot)
        return []
    if not ids:
        return []
    goods = {p.pk: p for p in listed_products().filter(pk__in=ids)}
    return [goods[pk] for pk in ids if pk in goods][:limit]


def recommended_for_basket(
    slot: str, *, product_ids: list[int], user_id: int | None, limit: int
) -> list[Product]:
    """Up to ``limit`` listed goods for ``slot`` beside a basket of ``product_ids`` (never
    one of them), for the shopper ``user_id`` (None for a guest), in the source's order and
    annotated like a listing: at most the source's queries and one more. Empty when no
    source is registered, the source fails, or there is neither a basket nor a shopper."""
    source = _BASKET_SOURCES.get(slot)
    if source is None or limit <= 0 or (not product_ids and user_id is None):
        return []
    basket = set(product_ids)
    try:
        ids = [pk for pk in source(sorted(basket), user_id, limit * 2) if pk not in basket]
    except Exception:
        logger.exception("recommendation source of slot %s failed", slot)
        return []
    if not ids:
        return []
    goods = {p.pk: p for p in listed_products().filter(pk__in=ids)}
    return [goods[pk] for pk in ids if pk in goods][:limit]
