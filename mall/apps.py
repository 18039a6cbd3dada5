from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MallConfig(AppConfig):
    default = True
    name = "mall"
    verbose_name = "mall"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from .roles import sync_after_migrate

        # post_migrate is sent once per app after every migration has run; one sync per
        # migrate (and per test flush) is enough, so listen to one app's: auth's.
        post_migrate.connect(
            sync_after_migrate,
            sender=apps.get_app_config("auth"),
            dispatch_uid="sync-role-groups",
        )


class MallAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with mall's own site that only back-office roles may enter."""

    default = False
    default_site = "mall.admin.site.MallAdminSite"
