from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    """Customer service: tickets worked against deadlines, follow-up calls, service
    targets, the FAQ knowledge base and the storefront's help centre.

    It sits above orders and marketing (a ticket links an order, an agent grants a
    coupon) and below analytics, so it is an app of its own inside ``customers/``, whose
    accounts are the ground floor every other app stands on."""

    name = "customers.support"
    label = "support"
    verbose_name = _("Customer service")
