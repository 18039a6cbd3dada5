"""Payment URLs: the provider's notification endpoint, the shopper's return page, and the
sandbox provider's hosted pay page (standing in for Alipay / WeChat Pay)."""

from django.urls import path

from .views import payments

app_name = "payments"

urlpatterns = [
    path("notify/<slug:provider>/", payments.notify, name="notify"),
    path("return/<str:out_trade_no>/", payments.payment_return, name="return"),
    path("sandbox/pay/<str:out_trade_no>/", payments.sandbox_pay, name="sandbox_pay"),
]
