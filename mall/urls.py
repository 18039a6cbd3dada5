"""The project's URLs: every app's page groups mounted at their paths.

This is the composition root, the one module of the kernel that imports the apps (their
``urls`` modules, nothing else); the import contract in pyproject.toml says so.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics import urls as analytics_urls
from catalog import urls as catalog_urls
from customers.support import urls as support_urls
from marketing import urls as marketing_urls
from orders import urls as orders_urls

from . import views

urlpatterns = [
    path("", include(catalog_urls.storefront_urls)),
    path("", include(catalog_urls.catalog_urls)),
    path("", include(orders_urls.shop_urls)),
    path("payments/", include(orders_urls.payment_urls)),
    path("logistics/", include(orders_urls.logistics_urls)),
    path("flash-sales/", include(marketing_urls.flash_sale_urls)),
    path("coupons/", include(marketing_urls.coupon_urls)),
    path("go/", include(marketing_urls.tracked_link_urls)),
    path("membership/", include(marketing_urls.membership_urls)),
    path("after-sales/", include(orders_urls.aftersales_urls)),
    path("support/after-sales/", include(orders_urls.support_aftersales_urls)),
    path("support/", include(support_urls.workspace_urls)),
    path("help/", include(support_urls.help_urls)),
    path("accounts/tickets/", include(support_urls.requests_urls)),
    path("accounts/", include("customers.urls")),
    path("warehouse/stocktakes/", include(catalog_urls.stocktake_urls)),
    path("analytics/", include(analytics_urls)),
    path("i18n/setlang/", views.set_language, name="set_language"),
    *catalog_urls.document_urlpatterns,
    path("admin/", admin.site.urls),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include("orders.api.urls")),
    path("api/v1/", include(marketing_urls.api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("ops.urls")),
    re_path(r"^" + settings.MEDIA_URL.lstrip("/") + r"(?P<path>.+)$", views.public_media),
]

handler404 = "mall.views.not_found"
