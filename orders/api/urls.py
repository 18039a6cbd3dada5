"""Cart, checkout and order endpoints of the REST API (under /api/v1/)."""

from django.urls import include, path

urlpatterns = [
    path("", include("orders.api.flashsale_urls")),
]
