"""Admin for the supply chain's follow-ups: supplier re-review tasks, low-stock alerts,
declared holidays (they do not count towards ship-by deadlines), moving-average costs,
qualification documents (a supplier's own uploads and the operators' review of them),
and the list of overdue cycle counts.

A supplier's user (role "supplier") sees only its own supplier's records here; the
services check it again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import CatalogError
from catalog.models import (
    DocumentType,
    Holiday,
    LowStockAlert,
    QualificationDocument,
    ReReviewTask,
    SkuCost,
    Supplier,
)
from catalog.services import admission, counting
from catalog.services.purchase_orders import supplier_of
from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action
from mall.roles import SUPPLIER, has_role


def is_supplier(request) -> bool:
    return has_role(request.user, SUPPLIER) and not request.user.is_superuser


@admin.register(ReReviewTask)
class ReReviewTaskAdmin(admin.ModelAdmin):
    """The operators' queue of supplier re-reviews falling due (record the re-review on
    the supplier's page: that closes the task)."""

    list_display = ("supplier", "due_on", "created_at", "done_at", "done_by", "suspended_at")
    list_filter = (("done_at", admin.EmptyFieldListFilter), "due_on")
    list_select_related = ("supplier", "done_by")
    readonly_fields = list_display
    fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LowStockAlert)
class LowStockAlertAdmin(admin.ModelAdmin):
    list_display = ("sku", "available", "reorder_point", "suggested", "raised_at", "cleared_at")
    list_filter = (("cleared_at", admin.EmptyFieldListFilter),)
    list_select_related = ("sku__product",)
    search_fields = ("sku__code", "sku__product__name")
    readonly_fields = list_display
    fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("day", "name")
    date_hierarchy = "day"


@admin.register(SkuCost)
class SkuCostAdmin(admin.ModelAdmin):
    list_display = ("sku", "average", "updated_at")
    list_select_related = ("sku__product",)
    search_fields = ("sku__code", "sku__product__name")
    readonly_fields = list_display
    fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Qualification documents ---------------------------------------------------------------


class UploadForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), label=_("supplier"))
    doc_type = forms.ChoiceField(choices=DocumentType.choices, label=_("document type"))
    number = forms.CharField(max_length=100, label=_("document number"))
    issuer = forms.CharField(max_length=200, label=_("issued by"))
    valid_from = forms.DateField(label=_("valid from"))
    valid_to = forms.DateField(label=_("valid to"))
    scan = forms.FileField(label=_("scan"))


DOCUMENT_ACTIONS = [
    ServiceAction(
        name="accept",
        label=_("Accept (the document counts from now on)"),
        done=_("%(count)d document(s) accepted."),
        perform=lambda document, actor, note: admission.accept_document(
            document=document, actor=actor, note=note
        ),
        sources=frozenset({QualificationDocument.Review.PENDING}),
        reason_label=_("Note (optional)"),
        reason_required=False,
        permission="review",
    ),
    ServiceAction(
        name="reject",
        label=_("Reject"),
        done=_("%(count)d document(s) rejected."),
        perform=lambda document, actor, note: admission.reject_document(
            document=document, actor=actor, note=note
        ),
        sources=frozenset({QualificationDocument.Review.PENDING}),
        reason_label=_("Why (the supplier sees it)"),
        permission="review",
    ),
]


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(ServiceActionsMixin, admin.ModelAdmin):
    """Every supplier's documents for operators (with the review of uploads); a supplier's
    user sees its own and uploads renewals, which wait for review."""

    list_display = (
        "supplier",
        "doc_type",
        "number",
        "valid_from",
        "valid_to",
        "review_status",
        "uploaded_by",
        "review_note",
    )
    list_filter = ("review_status", "doc_type")
    list_select_related = ("supplier", "uploaded_by")
    search_fields = ("number", "supplier__name")
    fields = (
        "supplier",
        "doc_type",
        "number",
        "issuer",
        "valid_from",
        "valid_to",
        "review_status",
        "uploaded_by",
        "reviewed_by",
        "review_note",
    )
    readonly_fields = fields
    service_actions = DOCUMENT_ACTIONS
    state_parameter = "review_status__exact"
    actions = [make_admin_action(spec) for spec in DOCUMENT_ACTIONS]

    def get_queryset(self, request):
        documents = super().get_queryset(request)
        if is_supplier(request):
            return documents.filter(supplier=supplier_of(request.user))
        return documents

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("catalog.review_qualificationdocument")

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        return request.user.has_perm("catalog.review_qualificationdocument")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        own = supplier_of(request.user)
        form.fields["supplier"].queryset = (
            Supplier.objects.filter(pk=own.pk if own else None)
            if is_supplier(request)
            else Supplier.objects.all()
        )
        if own is not None:
            form.fields["supplier"].initial = own.pk
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                admission.upload_document(actor=request.user, **data)
            except (CatalogError, PermissionDenied) as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _("The document is uploaded and waits for an operator's review."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:catalog_qualificationdocument_changelist")
                )
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/catalog/qualificationdocument/upload.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Upload a renewed document"),
                "opts": self.opts,
                "form": form,
                "media": self.media + form.media,
            },
        )


# --- Overdue cycle counts --------------------------------------------------------------------

MAX_ROWS = 500


def overdue_counts_view(request):
    """Stock rows whose cycle count is overdue, most overdue first (at most 500 shown)."""
    if not request.user.has_perm("catalog.view_stocktake"):
        raise PermissionDenied
    today = timezone.localdate()
    rows = list(counting.overdue_counts(today=today)[:MAX_ROWS])
    for row in rows:
        row.days_overdue = (today - row.due_on).days
    request.current_app = admin.site.name
    return TemplateResponse(
        request,
        "admin/catalog/stocktake/overdue_counts.html",
        {
            **admin.site.each_context(request),
            "title": _("Overdue cycle counts"),
            "rows": rows,
            "limit": MAX_ROWS,
            "intervals": counting.intervals(),
        },
    )


admin.site.register_page(
    route="catalog/overdue-counts/",
    view=overdue_counts_view,
    name="catalog_overdue_counts",
    label=_("Overdue cycle counts"),
    section=_("Stock reports"),
    permission="catalog.view_stocktake",
)
