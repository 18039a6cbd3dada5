from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class MallAdminSite(admin.AdminSite):
    """The back office for operators, warehouse staff and analysts.

    Support agents are staff too (they work in the ticket view at /support/), but the
    admin is not theirs: only superusers and members of a back-office group get in.
    """

    site_header = _("mall back office")
    site_title = _("mall back office")
    index_title = _("Operations")

    def has_permission(self, request):
        from customers.roles import is_back_office

        user = request.user
        return bool(user.is_active and user.is_staff and is_back_office(user))
