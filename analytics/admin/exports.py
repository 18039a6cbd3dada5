"""Report exports in the back office: ``/admin/analytics/exports/`` asks for one (a report
or segment, CSV or XLSX) and lists the user's own; each export has a page whose progress
bar polls its JSON status until the file can be downloaded. Every export is the asker's
only: anyone else gets a 404 for its page, status and file."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from ..exceptions import ExportRefused
from ..models import ReportExport, Segment
from ..selectors.exports import REPORTS
from ..services import exports as services

EXPORT_PERMISSION = services.EXPORT_PERMISSION
LIST_LIMIT = 30


class ExportForm(forms.Form):
    report = forms.ChoiceField(
        label=gettext_lazy("report"), choices=[(r.key, r.label) for r in REPORTS.values()]
    )
    file_format = forms.ChoiceField(
        label=gettext_lazy("format"), choices=ReportExport.Format.choices
    )
    since = forms.DateField(
        label=gettext_lazy("from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=gettext_lazy("to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    segment = forms.ChoiceField(
        label=gettext_lazy("segment"),
        required=False,
        choices=[("", gettext_lazy("all segments")), *Segment.choices],
    )
    with_contacts = forms.BooleanField(
        label=gettext_lazy("with mobile numbers and emails (segments; managers only)"),
        required=False,
    )

    def __init__(self, *args, may_export_contacts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_export_contacts:
            del self.fields["with_contacts"]


def _own(request, pk) -> ReportExport:
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    export = get_object_or_404(ReportExport, pk=pk, requested_by=request.user)
    # Contacts stay with those still allowed them (a role taken away since).
    if export.with_contacts and not request.user.has_perm(services.CONTACTS_PERMISSION):
        raise PermissionDenied
    return export


def exports_view(request):
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    may_contacts = request.user.has_perm(services.CONTACTS_PERMISSION)
    today = timezone.localdate()
    initial = {
        "report": request.GET.get("report", "daily_kpis"),
        "segment": request.GET.get("segment", ""),
        "file_format": "xlsx",
        "since": today - datetime.timedelta(days=29),
        "until": today,
    }
    form = ExportForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        may_export_contacts=may_contacts,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = {
            "since": data["since"].isoformat() if data["since"] else "",
            "until": data["until"].isoformat() if data["until"] else "",
            "segment": data["segment"],
        }
        try:
            export = services.request_export(
                user=request.user,
                report=data["report"],
                params=params,
                file_format=data["file_format"],
                with_contacts=data.get("with_contacts", False),
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except ExportRefused as error:
            form.add_error(None, str(error))
        else:
            return redirect("admin:analytics_export", pk=export.pk)
    mine = ReportExport.objects.filter(requested_by=request.user).order_by("-created_at", "-pk")
    context = {
        **admin.site.each_context(request),
        "title": _("Report exports"),
        "form": form,
        "exports": mine[:LIST_LIMIT],
        "reports": {key: report.label for key, report in REPORTS.items()},
        "hours": settings.MALL_EXPORT_HOURS,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/exports.html", context)


def _status(export: ReportExport) -> dict:
    expired = export.state == ReportExport.State.EXPIRED or export.expires_at <= timezone.now()
    ready = export.state == ReportExport.State.DONE and not expired
    return {
        "id": export.pk,
        "state": ReportExport.State.EXPIRED if expired else export.state,
        "state_label": str(
            ReportExport.State.EXPIRED.label if expired else export.get_state_display()
        ),
        "rows_done": export.rows_done,
        "rows_total": export.rows_total,
        "percent": export.percent,
        "error": _(export.error) if export.error else "",
        "download_url": reverse("admin:analytics_export_download", args=[export.pk])
        if ready
        else None,
    }


@never_cache
def export_view(request, pk):
    export = _own(request, pk)
    context = {
        **admin.site.each_context(request),
        "title": _("Report export"),
        "export": export,
        "report_label": REPORTS[export.report].label if export.report in REPORTS else "",
        "status": _status(export),
        "status_url": reverse("admin:analytics_export_status", args=[export.pk]),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/export.html", context)


@never_cache
def status_view(request, pk):
    return JsonResponse(_status(_own(request, pk)))


@never_cache
def download_view(request, pk):
    export = _own(request, pk)
    status = _status(export)
    if status["state"] == ReportExport.State.EXPIRED:
        return HttpResponse(_("This export has expired: ask for it again."), status=410)
    if not status["download_url"]:
        raise Http404
    stamp = timezone.localtime(export.created_at).strftime("%Y%m%d-%H%M")
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"{export.report}-{stamp}.{export.file_format}",
    )


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    """No list of everyone's exports: the pages below show each user their own."""

    def has_module_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/", view(export_view), name="analytics_export"),
            path("<int:pk>/status/", view(status_view), name="analytics_export_status"),
            path("<int:pk>/download/", view(download_view), name="analytics_export_download"),
        ]


admin.site.register_page(
    route="analytics/exports/",
    view=exports_view,
    name="analytics_exports",
    label=gettext_lazy("Report exports"),
    section=gettext_lazy("KPIs and targets"),
    permission=EXPORT_PERMISSION,
)
