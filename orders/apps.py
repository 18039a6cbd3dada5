from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # Registers the prices goods were sold at with the catalog's honest-price rule,
        # and merges a guest's cart into theirs when they sign in.
        from . import signals  # noqa: F401
        from .services import ordering  # noqa: F401
