"""Suppliers' qualification scans are private: only staff allowed to view the documents
get them, through this view (MEDIA_URL serves product photos only)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.cache import never_cache

from catalog.models import QualificationDocument


def scan_url(document: QualificationDocument) -> str:
    return reverse("qualification-scan", args=[document.pk])


@never_cache
@login_required
def qualification_scan(request, pk: int):
    if not (request.user.is_staff and request.user.has_perm("catalog.view_qualificationdocument")):
        raise PermissionDenied
    document = get_object_or_404(QualificationDocument, pk=pk)
    is_pdf = document.scan.name.endswith(".pdf")
    return FileResponse(
        document.scan.open("rb"),
        content_type="application/pdf" if is_pdf else "image/jpeg",
        # Shown inline in the admin's preview; never sniffed as something else.
        as_attachment=False,
        filename=f"{document.doc_type}-{document.pk}{'.pdf' if is_pdf else '.jpg'}",
    )
