"""Flash-sale pages of the storefront."""

from django.urls import path

from .views import flashsales

app_name = "flashsales"

urlpatterns = [
    path("", flashsales.sale_list, name="list"),
    path("<int:pk>/", flashsales.buy, name="buy"),
]
