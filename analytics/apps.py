from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from mall.tracking import register_event_sink

        from .services.collection import collect

        register_event_sink(collect)
