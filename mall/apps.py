from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class MallConfig(AppConfig):
    default = True
    name = "mall"
    verbose_name = "mall"


class MallAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with mall's own site that only back-office roles may enter."""

    default = False
    default_site = "mall.admin_site.MallAdminSite"
