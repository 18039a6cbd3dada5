"""Pages of orders, in groups that mall/urls.py mounts:

- ``shop_urls`` (``orders:``): cart, checkout, the shopper's orders, reviews of what arrived;
- ``payment_urls`` (``payments:``, under /payments/): the provider's notification
  endpoint, the shopper's return page, the sandbox provider's hosted pay page;
- ``aftersales_urls`` (``aftersales:``, under /after-sales/): the shopper's cases and the
  private photos of cases;
- ``logistics_urls`` (``logistics:``, under /logistics/): the carriers' signed tracking
  pushes;
- ``support_aftersales_urls`` (``support_aftersales:``, under /support/after-sales/, before
  customer service's /support/): support staff decide after-sales cases.
"""

from django.urls import path

from .views import (
    aftersales,
    cart,
    checkout,
    logistics,
    orders,
    payments,
    reviews,
    support_aftersales,
)

shop_patterns = [
    path("cart/", cart.cart, name="cart"),
    path("cart/add/", cart.cart_add, name="cart_add"),
    path("cart/update/", cart.cart_update, name="cart_update"),
    path("cart/remove/", cart.cart_remove, name="cart_remove"),
    path("checkout/", checkout.checkout, name="checkout"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<str:number>/pay/", orders.order_pay, name="order_pay"),
    path(
        "orders/<str:number>/confirm-receipt/",
        orders.order_confirm_receipt,
        name="order_confirm_receipt",
    ),
    path("orders/<str:number>/buy-again/", orders.order_buy_again, name="order_buy_again"),
    path("orders/<str:number>/review/<int:line_id>/", reviews.review_line, name="review_line"),
]

payment_patterns = [
    path("notify/<slug:provider>/", payments.notify, name="notify"),
    path("return/<str:out_trade_no>/", payments.payment_return, name="return"),
    path("sandbox/pay/<str:out_trade_no>/", payments.sandbox_pay, name="sandbox_pay"),
    path("wechatpay/qr/<str:token>/", payments.wechatpay_qr, name="wechatpay_qr"),
]

logistics_patterns = [
    path("push/<slug:carrier>/", logistics.push, name="push"),
]

aftersales_patterns = [
    path("", aftersales.case_list, name="case_list"),
    path("request/<str:number>/", aftersales.case_request, name="request"),
    path("<str:number>/", aftersales.case_detail, name="case_detail"),
    path("<str:number>/send-back/", aftersales.case_send_back, name="send_back"),
    path("<str:number>/withdraw/", aftersales.case_withdraw, name="withdraw"),
    path("<str:number>/photos/<int:pk>/", aftersales.case_photo, name="photo"),
]

support_aftersales_patterns = [
    path("", support_aftersales.queue, name="queue"),
    path("<str:number>/", support_aftersales.case, name="case"),
    path("<str:number>/approve/", support_aftersales.approve, name="approve"),
    path("<str:number>/reject/", support_aftersales.reject, name="reject"),
    path("<str:number>/close/", support_aftersales.close, name="close"),
]

shop_urls = (shop_patterns, "orders")
payment_urls = (payment_patterns, "payments")
aftersales_urls = (aftersales_patterns, "aftersales")
logistics_urls = (logistics_patterns, "logistics")
support_aftersales_urls = (support_aftersales_patterns, "support_aftersales")
