"""Read queries of the catalog for the storefront pages and the public API.

Only listed goods reach a shopper. Prices and availability are computed in SQL, in the
query that fetches the goods (never per row in Python), so every page and API list runs
a fixed number of queries whatever the number of goods:

- ``price_min`` / ``price_max``: the current price range of the SKUs on sale, stored on the
  product (``catalog.services.price_ranges``) and indexed; ``offer_price``: a live offer;
- ``available``: ``on_hand - reserved`` summed over the stock of the SKUs on sale (0 if none);
- ``thumb``: the storage path of the first image's small thumbnail (or ``None``).

By subdomain: ``categories`` (the tree), ``prices`` (the SQL expressions of prices and
stock), ``listings`` (category pages, the home page; search is ``catalog.search``),
``products`` (one product and the SKUs of an order); the stock figures (``stock``),
stocktakes and product reviews have modules of their own, and so do the recommendation
slots (``recommendations``: filled by a source the analytics app registers). Pages call the
names re-exported here (``selectors.listed_products``).
"""

from .categories import CategoryTree, category_attributes, category_tree
from .listings import (
    DEFAULT_SORT,
    MAX_SEARCH_TERMS,
    RELEVANCE,
    SORTS,
    NumberRange,
    featured_products,
    listed_products,
    newest_products,
    products_by_ids,
)
from .prices import LOW_STOCK_THRESHOLD, stock_status, with_honest_was_prices
from .products import (
    Specification,
    product_detail,
    product_information,
    product_specifications,
    sku_price,
    skus_to_order,
)
from .recommendations import (
    BOUGHT_TOGETHER,
    FOR_YOU,
    recommended_for_basket,
    recommended_products,
    register_basket_recommendation_source,
    register_recommendation_source,
)

__all__ = [
    "BOUGHT_TOGETHER",
    "DEFAULT_SORT",
    "FOR_YOU",
    "LOW_STOCK_THRESHOLD",
    "MAX_SEARCH_TERMS",
    "RELEVANCE",
    "SORTS",
    "CategoryTree",
    "NumberRange",
    "Specification",
    "category_attributes",
    "category_tree",
    "featured_products",
    "listed_products",
    "newest_products",
    "product_detail",
    "product_information",
    "product_specifications",
    "products_by_ids",
    "recommended_for_basket",
    "recommended_products",
    "register_basket_recommendation_source",
    "register_recommendation_source",
    "sku_price",
    "skus_to_order",
    "stock_status",
    "with_honest_was_prices",
]
