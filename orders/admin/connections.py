"""The operators' page of outside services: every payment provider and carrier the shop
has, whether it is switched on, what is missing in its keys, and a "test connection"
button that signs a harmless query (a trade or parcel that does not exist) and shows the
answer. Nothing changes at the provider or in the shop."""

import logging

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..carriers import registry as carrier_registry
from ..carriers.base import CarrierError
from ..providers import registry as provider_registry
from ..providers.base import ProviderError

logger = logging.getLogger("orders.payments")
PERMISSION = "orders.view_payment"


def _rows(kinds: dict, enabled: list[str], kind: str) -> list[dict]:
    return [
        {
            "kind": kind,
            "name": name,
            "label": adapter.label,
            "enabled": name in enabled,
            "problems": adapter.key_problems() if name in enabled else [],
        }
        for name, adapter in kinds.items()
    ]


def _test(kind: str, name: str) -> tuple[bool, str]:
    try:
        if kind == "provider":
            return True, provider_registry.get_provider(name).check_connection()
        return True, carrier_registry.get_carrier(name).check_connection()
    except (provider_registry.UnknownProvider, carrier_registry.UnknownCarrier):
        return False, _("It is not switched on.")
    except (ProviderError, CarrierError) as error:
        return False, str(error)


def connections_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        kind, name = request.POST.get("kind", ""), request.POST.get("name", "")
        ok, said = _test(kind, name)
        logger.info(
            "connection test", extra={"kind": kind, "service": name, "ok": ok, "said": said}
        )
        level = messages.SUCCESS if ok else messages.ERROR
        messages.add_message(request, level, _("%(name)s: %(said)s") % {"name": name, "said": said})
        return redirect("admin:orders_connections")
    rows = _rows(provider_registry.PROVIDERS, provider_registry.enabled_names(), "provider")
    rows += _rows(carrier_registry.CARRIERS, carrier_registry.enabled_names(), "carrier")
    context = {
        **admin.site.each_context(request),
        "title": _("Payment providers and carriers"),
        "rows": rows,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/orders/connections.html", context)


admin.site.register_page(
    route="orders/connections/",
    view=connections_view,
    name="orders_connections",
    label=gettext_lazy("Payment providers and carriers"),
    section=gettext_lazy("Payments"),
    permission=PERMISSION,
)
