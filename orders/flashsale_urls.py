"""Flash-sale pages of the storefront."""

app_name = "flashsales"

urlpatterns = []
