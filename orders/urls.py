"""Storefront pages of orders: cart, checkout, the shopper's orders."""

app_name = "orders"

urlpatterns = []
