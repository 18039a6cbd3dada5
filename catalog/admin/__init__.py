"""The operators' back office for the catalog. Importing the modules registers the admins."""

from . import (  # noqa: F401
    admission,
    inventory,
    listing,
    pricing,
    product_reviews,
    purchase_orders,
    purchasing,
    queues,
    stocktake,
    supply,
)
