"""Storefront pages of orders: cart, checkout, the shopper's orders."""

from django.urls import path

from .views import cart, checkout, orders, reviews

app_name = "orders"

urlpatterns = [
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/update/", cart.cart_update, name="cart_update"),
    path("cart/remove/", cart.cart_remove, name="cart_remove"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<str:number>/pay/", orders.order_pay, name="order_pay"),
    path("orders/<str:number>/review/<int:line_id>/", reviews.review_line, name="review_line"),
]
