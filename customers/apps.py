from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import sync_after_migrate

        # Sent once per app; one sync after the customers app's is enough.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="sync-role-groups")
