"""RFM segments in the back office: ``/admin/analytics/segments/`` counts the shoppers of
each named segment with what it means, the scores are listed (filtered by segment) at
``/admin/analytics/customerscore/``, and a segment's shoppers are exported by a job
(``/admin/analytics/exports/``; with contacts, for managers, the first column is a mobile
number or email, so the file is a coupon audience marketing can upload as it is)."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mall.admin.readonly import ReadOnlyMixin

from ..models import CustomerScore
from ..models.segments import DEFINITIONS
from ..selectors import segments

VIEW_PERMISSION = "analytics.view_customerscore"
EXPORT_PERMISSION = "analytics.export_report"


def segments_view(request):
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    rows = segments.segment_counts()
    for row in rows:
        row["definition"] = DEFINITIONS[row["segment"]] % {"days": settings.MALL_RFM_NEW_DAYS}
    computed = CustomerScore.objects.order_by().values_list("computed_at", flat=True).first()
    context = {
        **admin.site.each_context(request),
        "title": _("Customer segments (RFM)"),
        "rows": rows,
        "computed_at": computed,
        "can_export": request.user.has_perm(EXPORT_PERMISSION),
        "list_url": reverse("admin:analytics_customerscore_changelist"),
        "export_url": reverse("admin:analytics_exports"),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/segments.html", context)


@admin.register(CustomerScore)
class CustomerScoreAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "segment",
        "r_score",
        "f_score",
        "m_score",
        "recency_days",
        "frequency",
        "monetary",
        "last_order_at",
    )
    list_filter = ("segment",)
    list_select_related = ("user",)
    ordering = ("-monetary", "user_id")
    show_full_result_count = False


admin.site.register_page(
    route="analytics/segments/",
    view=segments_view,
    name="analytics_segments",
    label=gettext_lazy("Customer segments (RFM)"),
    section=gettext_lazy("KPIs and targets"),
    permission=VIEW_PERMISSION,
)
