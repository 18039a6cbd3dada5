"""What the storefront's cached pages depend on, and the writes that make them stale.

Two kinds of version keys (``mall.pagecache``): ``catalog:listings`` for every page that
lists goods (home, categories, search), and ``catalog:product:<id>`` for one product's
page. Every service that changes what a shopper sees calls one of these functions in its
transaction; the bump happens when it commits:

- goods listed, delisted or edited, a SKU or image added: ``goods_changed``;
- a price applied or an offer (flash sale) changed: ``goods_changed`` from pricing;
- stock moved: ``stock_changed`` (the product's page always, the listings only when a
  stock row runs out or comes back, which is when a card's "Out of stock" can change);
- a review published or hidden: ``product_changed``;
- categories, attributes or synonyms edited in the admin: ``listings_changed``.
"""

from django.db.models import F

from mall import pagecache

from ..models import Stock

LISTINGS = "catalog:listings"


def product_key(product_id) -> str:
    return f"catalog:product:{product_id}"


def listings_changed() -> None:
    pagecache.bump(LISTINGS)


def product_changed(*product_ids) -> None:
    pagecache.bump(*(product_key(pk) for pk in product_ids))


def goods_changed(*product_ids) -> None:
    """Goods whose card and page both change (price, listing, name, pictures)."""
    pagecache.bump(LISTINGS, *(product_key(pk) for pk in product_ids))


def stock_changed(product_id, *, free_after: int, free_before: int) -> None:
    """A stock row of ``product_id`` went from ``free_before`` to ``free_after`` free
    units (on hand less reserved)."""
    if (free_after <= 0) != (free_before <= 0):
        goods_changed(product_id)
    else:
        product_changed(product_id)


def stock_moved(stock_id, *, free_change: int) -> None:
    """Stock row ``stock_id`` just changed its free units by ``free_change`` (in the
    caller's transaction): one query for its product and free units now."""
    row = (
        Stock.objects.filter(pk=stock_id)
        .values_list("sku__product_id", F("on_hand") - F("reserved"))
        .first()
    )
    if row is not None:
        product_id, free = row
        stock_changed(product_id, free_after=free, free_before=free - free_change)


def offer_moments(moments) -> None:
    """Times at which an offer starts or ends: pages change then by themselves."""
    pagecache.note_moments(moments)
