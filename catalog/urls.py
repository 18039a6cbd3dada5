"""Pages of the catalog, in groups that mall/urls.py mounts:

- ``storefront_urls`` (``storefront:``): the home page and search;
- ``catalog_urls`` (``catalog:``): categories, products and their reviews;
- ``stocktake_urls`` (``stocktake:``, under /warehouse/stocktakes/): warehouse counting;
- ``document_urlpatterns``: a supplier's qualification scan, for back-office staff only.
"""

from django.urls import path

from .views import documents, stocktake, storefront

storefront_patterns = [
    path("", storefront.home, name="home"),
    path("search/", storefront.search, name="search"),
    path("search/suggest/", storefront.suggest, name="suggest"),
]

catalog_patterns = [
    path("category/<slug:slug>/", storefront.category, name="category"),
    path("product/<int:pk>/", storefront.product, name="product"),
    path("product/<int:pk>/reviews/", storefront.product_reviews, name="product_reviews"),
]

stocktake_patterns = [
    path("", stocktake.stocktake_list, name="list"),
    path("<int:pk>/", stocktake.stocktake_count, name="count"),
    path("<int:pk>/submit/", stocktake.stocktake_submit, name="submit"),
]

document_urlpatterns = [
    path(
        "admin/documents/<int:pk>/scan/",
        documents.qualification_scan,
        name="qualification-scan",
    ),
]

storefront_urls = (storefront_patterns, "storefront")
catalog_urls = (catalog_patterns, "catalog")
stocktake_urls = (stocktake_patterns, "stocktake")
