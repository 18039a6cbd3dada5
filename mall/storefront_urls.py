from django.urls import path

from . import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("cart/", views.cart, name="cart"),
]
