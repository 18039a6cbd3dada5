from django.urls import path

from . import views

app_name = "catalog_api"

urlpatterns = [
    path("categories/", views.CategoryList.as_view(), name="category-list"),
    path("products/", views.ProductList.as_view(), name="product-list"),
    path("products/<int:pk>/", views.ProductDetail.as_view(), name="product-detail"),
    path("skus/<int:pk>/price/", views.SkuPriceView.as_view(), name="sku-price"),
]
