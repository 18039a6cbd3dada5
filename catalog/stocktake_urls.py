"""The warehouse counting pages, under /warehouse/stocktakes/ (see mall/urls.py)."""

from django.urls import path

from . import stocktake_views as views

app_name = "stocktake"

urlpatterns = [
    path("", views.stocktake_list, name="list"),
    path("<int:pk>/", views.stocktake_count, name="count"),
    path("<int:pk>/submit/", views.stocktake_submit, name="submit"),
]
