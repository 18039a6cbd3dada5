"""Flash-sale API endpoints (under /api/v1/)."""

from django.urls import path

from . import flashsale

urlpatterns = [
    path("flash-sales/", flashsale.FlashSaleList.as_view(), name="flash-sale-list"),
    path("flash-sales/<int:pk>/", flashsale.FlashSaleDetail.as_view(), name="flash-sale-detail"),
    path("flash-sales/<int:pk>/buy/", flashsale.FlashSaleBuy.as_view(), name="flash-sale-buy"),
]
