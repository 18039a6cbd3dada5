"""The stored current price range of goods, and the offers (flash prices) of higher apps.

``Product.price_min`` / ``price_max`` are the lowest and highest current price of the
goods' SKUs on sale. They are a copy, so that listings can filter and sort on them with
an index; the truth stays ``SkuPrice``. Every write that can change them refreshes them
in its transaction: a price change applying (``catalog.services.pricing``, including the
scheduled job), goods being listed, a SKU added or taken on or off sale. A price row only
begins when it is applied (scheduled changes are applied by the minute job at their time),
so the copy never waits for the clock.

Offers are prices a higher app grants for a while, like marketing's flash sales. The
catalog cannot import marketing, so it offers a hook: ``register_offer_source(source)``,
where ``source(sku_ids)`` returns the ``Offer`` rows of those SKUs that have not ended and
still have units. ``refresh_offers(sku_ids=...)`` copies them into ``ProductOffer``
(marketing calls it when a sale is scheduled, ended, called off, sold out or gets units
back, and from its minute job); cards show an offer while ``starts_at <= now < ends_at``,
read at request time, and the start and end are registered as page-cache moments so a
cached page changes at that second.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min, OuterRef, Q, Subquery
from django.utils import timezone

from ..models import SKU, Product, ProductOffer, SkuPrice
from . import pages


@dataclass(frozen=True)
class Offer:
    sku_id: int
    price: Decimal
    starts_at: datetime
    ends_at: datetime
    source: str


OfferSource = Callable[[list[int]], Iterable[Offer]]
_OFFER_SOURCES: list[OfferSource] = []


def register_offer_source(source: OfferSource) -> OfferSource:
    """Let a higher app (marketing's flash sales) offer prices for a while. ``source``
    takes SKU ids and returns the offers of those SKUs that have not ended and still
    have units, in one query."""
    if source not in _OFFER_SOURCES:
        _OFFER_SOURCES.append(source)
    return source


def _current_price(aggregate, now) -> Subquery:
    prices = (
        SkuPrice.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=now),
            valid_from__lte=now,
            sku__product=OuterRef("pk"),
            sku__is_active=True,
        )
        .order_by()
        .values("sku__product")
        .annotate(value=aggregate("amount"))
        .values("value")
    )
    return Subquery(prices)


def refresh_price_ranges(product_ids: Iterable[int], *, now=None) -> int:
    """Recompute the stored price range of ``product_ids`` from their current prices
    (one UPDATE) and invalidate their pages. Returns how many rows were updated."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    now = now or timezone.now()
    updated = Product.objects.filter(pk__in=ids).update(
        price_min=_current_price(Min, now), price_max=_current_price(Max, now)
    )
    pages.goods_changed(*ids)
    return updated


@transaction.atomic
def refresh_offers(*, sku_ids: Iterable[int], now=None) -> int:
    """Replace the stored offers of ``sku_ids`` with what the registered sources offer
    now (ended or sold-out offers disappear) and invalidate the pages of their goods.
    Returns the number of offers stored. Safe to call at any time, as often as wanted."""
    ids = sorted(set(sku_ids))
    if not ids:
        return 0
    now = now or timezone.now()
    product_of = dict(SKU.objects.filter(pk__in=ids).values_list("pk", "product_id"))
    offers = [
        offer
        for source in _OFFER_SOURCES
        for offer in source(ids)
        if offer.sku_id in product_of and offer.ends_at > now
    ]
    old = ProductOffer.objects.filter(sku_id__in=ids)
    touched = set(old.values_list("product_id", flat=True))
    old.delete()
    ProductOffer.objects.bulk_create(
        ProductOffer(
            product_id=product_of[offer.sku_id],
            sku_id=offer.sku_id,
            price=offer.price,
            starts_at=offer.starts_at,
            ends_at=offer.ends_at,
            source=offer.source,
        )
        for offer in offers
    )
    touched |= {product_of[offer.sku_id] for offer in offers}
    pages.offer_moments([o.starts_at for o in offers] + [o.ends_at for o in offers])
    if touched:
        pages.goods_changed(*touched)
    return len(offers)


def offered_skus() -> set[int]:
    """SKUs the catalog shows an offer for (ended ones included until refreshed)."""
    return set(ProductOffer.objects.values_list("sku_id", flat=True))


def live_offer_price(now) -> Subquery:
    """The lowest offer price of the outer product live at ``now`` (or NULL): for the
    cards of one page, computed for its rows only."""
    live = (
        ProductOffer.objects.filter(product=OuterRef("pk"), starts_at__lte=now, ends_at__gt=now)
        .order_by()
        .values("product")
        .annotate(low=Min("price"))
        .values("low")
    )
    return Subquery(live)


def products_offered_between(low, high, now):
    """Ids of products with a live offer priced within ``[low, high]`` (either end open):
    a price filter also finds goods that cost less right now."""
    offers = ProductOffer.objects.filter(starts_at__lte=now, ends_at__gt=now)
    if low is not None:
        offers = offers.filter(price__gte=low)
    if high is not None:
        offers = offers.filter(price__lte=high)
    return offers.values("product_id")
