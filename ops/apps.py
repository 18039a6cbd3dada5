from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("Ops")

    def ready(self):
        from django.core.signals import got_request_exception

        from .middleware import note_database_outage

        got_request_exception.connect(note_database_outage, dispatch_uid="ops-database-outage")

        from . import admin as _admin  # noqa: F401  (the back office's audit pages)
        from . import audit

        audit.connect()

        from celery.signals import task_failure
        from prometheus_client import REGISTRY

        from .metrics import ShopCollector, count_task_failure

        task_failure.connect(count_task_failure, weak=False, dispatch_uid="ops-task-failures")
        if not getattr(OpsConfig, "_collector_registered", False):
            REGISTRY.register(ShopCollector())
            OpsConfig._collector_registered = True
