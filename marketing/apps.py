from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        # Registers the flash sales' cancel hook with orders (a cancelled flash order gives
        # its units back to the sale).
        from .services import flashsales  # noqa: F401
        from .services.pricing import hooks

        # Promotions, coupons and gift cards price every cart and order, and follow the
        # order through placement, cancellation and after-sales (orders offers the hooks).
        hooks.register()
