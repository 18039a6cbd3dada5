from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from catalog.selectors import (
            BOUGHT_TOGETHER,
            FOR_YOU,
            register_basket_recommendation_source,
            register_recommendation_source,
        )
        from mall.tracking import register_event_sink

        from .services.collection import collect
        from .services.recommendations import bought_together, recommended_for_you

        register_event_sink(collect)
        register_recommendation_source(BOUGHT_TOGETHER, bought_together)
        register_basket_recommendation_source(FOR_YOU, recommended_for_you)
