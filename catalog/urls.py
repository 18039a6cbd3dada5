from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("category/<slug:slug>/", views.category, name="category"),
    path("product/<int:pk>/", views.product, name="product"),
    path("product/<int:pk>/reviews/", views.product_reviews, name="product_reviews"),
]
