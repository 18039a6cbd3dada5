from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from catalog.selectors import BOUGHT_TOGETHER, register_recommendation_source
        from mall.tracking import register_event_sink

        from .services.collection import collect
        from .services.recommendations import bought_together

        register_event_sink(collect)
        register_recommendation_source(BOUGHT_TOGETHER, bought_together)
