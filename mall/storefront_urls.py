from django.urls import path

from catalog import views as catalog_views

app_name = "storefront"

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("search/", catalog_views.search, name="search"),
]
