"""Payment URLs: the provider's notification endpoint, the shopper's return page, and the
sandbox provider's hosted pay page (standing in for Alipay / WeChat Pay)."""

app_name = "payments"

urlpatterns = []
