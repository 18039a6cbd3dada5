"""Cart, checkout and order endpoints of the REST API (under /api/v1/)."""

from django.urls import path

from . import views

app_name = "orders_api"

urlpatterns = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/lines/", views.CartLines.as_view(), name="cart-lines"),
    path("cart/lines/<int:sku>/", views.CartLine.as_view(), name="cart-line"),
    path("checkout/quote/", views.CheckoutQuote.as_view(), name="checkout-quote"),
    path("orders/", views.OrderList.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetail.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancel.as_view(), name="order-cancel"),
    path("orders/<str:number>/pay/", views.OrderPay.as_view(), name="order-pay"),
]
