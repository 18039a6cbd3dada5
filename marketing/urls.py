"""Marketing's pages (mounted by mall/urls.py under /flash-sales/) and its REST API
(under /api/v1/)."""

from django.urls import path

from .api import flashsales as flashsales_api
from .views import flashsales

flash_sale_patterns = [
    path("", flashsales.sale_list, name="list"),
    path("<int:pk>/", flashsales.buy, name="buy"),
]

api_patterns = [
    path("flash-sales/", flashsales_api.FlashSaleList.as_view(), name="flash-sale-list"),
    path(
        "flash-sales/<int:pk>/",
        flashsales_api.FlashSaleDetail.as_view(),
        name="flash-sale-detail",
    ),
    path("flash-sales/<int:pk>/buy/", flashsales_api.FlashSaleBuy.as_view(), name="flash-sale-buy"),
]

flash_sale_urls = (flash_sale_patterns, "flashsales")
api_urls = (api_patterns, "marketing_api")
