"""Monthly acquisition cohorts in the back office (``/admin/analytics/cohorts/``, for
analysts and managers): each month's new shoppers and the share who ordered again in each
month after, from the orders in one query (``analytics.selectors.cohorts``)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..selectors import cohorts

PERMISSION = "analytics.view_dashboard"
DEFAULT_MONTHS = 12


def cohorts_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    try:
        months = int(request.GET.get("months") or DEFAULT_MONTHS)
    except ValueError:
        months = DEFAULT_MONTHS
    months = max(1, min(cohorts.MAX_MONTHS, months))
    rows = cohorts.monthly_cohorts(today=timezone.localdate(), months=months)
    context = {
        **admin.site.each_context(request),
        "title": _("Monthly cohorts"),
        "rows": rows,
        "months": months,
        "ages": range(months),
        "choices": (6, 12, 24),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/cohorts.html", context)


admin.site.register_page(
    route="analytics/cohorts/",
    view=cohorts_view,
    name="analytics_cohorts",
    label=gettext_lazy("Monthly cohorts"),
    section=gettext_lazy("KPIs and targets"),
    permission=PERMISSION,
)
