"""RFM segments in the back office: ``/admin/analytics/segments/`` counts the shoppers of
each named segment with what it means, the scores are listed (filtered by segment) at
``/admin/analytics/customerscore/``, and a segment's shoppers download as CSV (the first
column a mobile number or email, so the file is a coupon audience marketing can upload
as it is)."""

import csv

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mall.admin.readonly import ReadOnlyMixin

from ..models import CustomerScore, Segment
from ..models.segments import DEFINITIONS
from ..selectors import segments

VIEW_PERMISSION = "analytics.view_customerscore"
EXPORT_PERMISSION = "analytics.export_segment"


class _Echo:
    """A file-like object that hands back what is written: csv rows streamed, not built."""

    def write(self, value):
        return value


def export_rows(scores):
    yield "\ufeff"  # so that Excel reads the Chinese as UTF-8
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            _("mobile or email"),
            _("display name"),
            _("segment"),
            "R",
            "F",
            "M",
            _("days since the last order"),
            _("orders"),
            _("spent"),
            _("last order"),
            _("agreed to marketing"),
        ]
    )
    for score in scores.iterator(chunk_size=2000):
        user = score.user
        yield writer.writerow(
            [
                user.phone or user.email or "",
                user.display_name,
                score.get_segment_display(),
                score.r_score,
                score.f_score,
                score.m_score,
                score.recency_days,
                score.frequency,
                score.monetary,
                timezone.localtime(score.last_order_at).strftime("%Y-%m-%d %H:%M"),
                _("yes") if user.marketing_consent else _("no"),
            ]
        )


def export_view(request):
    """``?segment=<code>``: that segment's shoppers as CSV, streamed (bounded memory
    whatever its size); 400 for an unknown segment."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    segment = request.GET.get("segment", "")
    if segment not in Segment.values:
        return HttpResponseBadRequest(_("Choose one of the segments."))
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(
        export_rows(segments.segment_members(segment)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="segment-{segment}-{stamp}.csv"'
    return response


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
        "export_url": reverse("admin:analytics_segment_export"),
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

    def get_urls(self):
        export = path(
            "export/", self.admin_site.admin_view(export_view), name="analytics_segment_export"
        )
        return [export, *super().get_urls()]


admin.site.register_page(
    route="analytics/segments/",
    view=segments_view,
    name="analytics_segments",
    label=gettext_lazy("Customer segments (RFM)"),
    section=gettext_lazy("KPIs and targets"),
    permission=VIEW_PERMISSION,
)
