"""Admin for goods admission: suppliers and their documents, prohibited words, spot checks.

Status changes happen only through the actions, which call ``catalog.services.admission``;
the forms never edit a status.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.exceptions import InvalidUpload
from catalog.models import (
    SUPPLIER_MACHINE,
    ProhibitedWord,
    QualificationDocument,
    SpotCheck,
    Supplier,
    SupplierStatusChange,
)
from catalog.services import admission
from catalog.services.media import extension, process_document_scan
from catalog.views.documents import scan_url
from mall.admin import approval
from mall.admin.actions import (
    ServiceAction,
    ServiceActionsMixin,
    make_admin_action,
    transition_action,
)
from mall.admin.history import TransitionHistoryInline
from mall.approval import asked_by_id
from mall.roles import SUPPLIER, has_role

# --- Highlighting dates ------------------------------------------------------------------

RED = "#ba2121"
ORANGE = "#c86400"


def _warning_days() -> int:
    return settings.MALL_DOCUMENT_EXPIRY_WARNING_DAYS


def highlighted_date(day, *, today=None, past_label, soon_label):
    """``day`` in red when past, orange within the warning window, plain otherwise."""
    if day is None:
        return "—"
    today = today or timezone.localdate()
    if day < today:
        return format_html(
            '<strong class="date-past" style="color:{}">{} ({})</strong>', RED, day, past_label
        )
    if day <= today + datetime.timedelta(days=_warning_days()):
        return format_html(
            '<strong class="date-soon" style="color:{}">{} ({})</strong>', ORANGE, day, soon_label
        )
    return str(day)


# --- Suppliers -----------------------------------------------------------------------------


class QualificationDocumentForm(forms.ModelForm):
    """A scan is re-encoded (images) or checked (PDF) before it is stored."""

    class Meta:
        model = QualificationDocument
        fields = ("doc_type", "number", "issuer", "valid_from", "valid_to", "scan")
        widgets = {"scan": forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"})}

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if isinstance(scan, UploadedFile):
            try:
                return process_document_scan(scan)
            except InvalidUpload as error:
                raise ValidationError(str(error), code="invalid_upload") from error
        return scan

    def clean(self):
        cleaned = super().clean()
        valid_from, valid_to = cleaned.get("valid_from"), cleaned.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", _("A document cannot expire before it is valid."))
        return cleaned


class QualificationDocumentInline(admin.TabularInline):
    model = QualificationDocument
    form = QualificationDocumentForm
    extra = 0
    fields = (
        "doc_type",
        "number",
        "issuer",
        "valid_from",
        "valid_to",
        "validity",
        "scan",
        "preview",
    )
    readonly_fields = ("validity", "preview")

    @admin.display(description=_("validity"))
    def validity(self, obj):
        if obj is None or obj.valid_to is None:
            return "—"
        return highlighted_date(obj.valid_to, past_label=_("expired"), soon_label=_("expires soon"))

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if obj is None or not obj.scan:
            return "—"
        url = scan_url(obj)  # scans are private: never a /media/ URL
        if extension(obj.scan.name) == ".pdf":
            return format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Open the PDF")
            )
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">'
            '<img src="{}" alt="" style="max-height:80px;max-width:120px"></a>',
            url,
            url,
        )


class SupplierHistoryInline(TransitionHistoryInline):
    model = SupplierStatusChange
    status_choices = dict(Supplier.Status.choices)
    machine = SUPPLIER_MACHINE


class ReReviewDueFilter(admin.SimpleListFilter):
    title = _("re-review due")
    parameter_name = "re_review"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("soon", _("Due within the warning window"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(next_review_due__lt=today)
        if self.value() == "soon":
            horizon = today + datetime.timedelta(days=_warning_days())
            return queryset.filter(next_review_due__gte=today, next_review_due__lte=horizon)
        return queryset


def _reason(label=None):
    return {"reason_label": label or _("Reason (recorded and shown to the supplier)")}


def _re_review(passed: bool):
    def perform(supplier, actor, notes):
        # The service refuses suppliers that are not approved (a CatalogError).
        return admission.record_re_review(
            supplier=supplier, actor=actor, passed=passed, notes=notes
        )

    return perform


SUPPLIER_ACTIONS = [
    transition_action(
        SUPPLIER_MACHINE,
        "start_review",
        label=_("Start the review"),
        done=_("Review started for %(count)d supplier(s)."),
        perform=lambda s, actor, reason: admission.start_supplier_review(supplier=s, actor=actor),
    ),
    transition_action(
        SUPPLIER_MACHINE,
        "approve",
        label=_("Approve"),
        done=_("%(count)d supplier(s) approved."),
        perform=lambda s, actor, reason: admission.approve_supplier(supplier=s, actor=actor),
    ),
    transition_action(
        SUPPLIER_MACHINE,
        "return_for_changes",
        label=_("Return for changes"),
        done=_("%(count)d supplier(s) returned for changes."),
        perform=lambda s, actor, reason: admission.return_supplier_for_changes(
            supplier=s, actor=actor, reason=reason
        ),
        **_reason(),
    ),
    transition_action(
        SUPPLIER_MACHINE,
        "suspend",
        label=_("Suspend (delists all their goods)"),
        done=_("%(count)d supplier(s) suspended; their goods were delisted."),
        perform=lambda s, actor, reason: admission.suspend_supplier(
            supplier=s, actor=actor, reason=reason
        ),
        **_reason(),
    ),
    transition_action(
        SUPPLIER_MACHINE,
        "reinstate",
        label=_("Reinstate"),
        done=_("%(count)d supplier(s) reinstated."),
        perform=lambda s, actor, reason: admission.reinstate_supplier(
            supplier=s, actor=actor, reason=reason
        ),
        **_reason(),
    ),
    transition_action(
        SUPPLIER_MACHINE,
        "terminate",
        label=_("Terminate (for good; delists all their goods)"),
        done=_("%(count)d supplier(s) terminated."),
        perform=lambda s, actor, reason: admission.terminate_supplier(
            supplier=s, actor=actor, reason=reason
        ),
        **_reason(),
    ),
    ServiceAction(
        name="re_review_passed",
        label=_("Record re-review: passed"),
        done=_("Re-review recorded as passed for %(count)d supplier(s)."),
        perform=_re_review(passed=True),
        sources=frozenset({Supplier.Status.APPROVED}),
        **_reason(_("Re-review notes")),
    ),
    ServiceAction(
        name="re_review_failed",
        label=_("Record re-review: failed (suspends)"),
        done=_("Re-review recorded as failed for %(count)d supplier(s); they were suspended."),
        perform=_re_review(passed=False),
        sources=frozenset({Supplier.Status.APPROVED}),
        **_reason(_("Re-review notes")),
    ),
]


class SupplierAwaitingMyApprovalFilter(approval.AwaitingMyApprovalFilter):
    """Under review, and the viewer did not start the review (four eyes)."""

    pending_state = Supplier.Status.UNDER_REVIEW
    asked_by_history = (SupplierStatusChange, "start_review")


@admin.register(Supplier)
class SupplierAdmin(approval.DecisionButtonsMixin, ServiceActionsMixin, admin.ModelAdmin):
    decision_actions = ("start_review", "approve", "return_for_changes")
    four_eyes_decisions = ("approve",)

    def asked_by_id_of(self, obj):
        return asked_by_id(SupplierStatusChange, obj, "start_review")

    list_display = (
        "name",
        "credit_code",
        "status",
        "category_list",
        "review_due",
        "valid_documents",
    )
    list_filter = (SupplierAwaitingMyApprovalFilter, "status", ReReviewDueFilter)
    search_fields = ("name", "credit_code")
    filter_horizontal = ("categories",)
    inlines = [QualificationDocumentInline, SupplierHistoryInline]
    service_actions = SUPPLIER_ACTIONS
    actions = [make_admin_action(spec) for spec in SUPPLIER_ACTIONS]
    readonly_fields = (
        "status",
        "status_changed_at",
        "approved_at",
        "next_review_due",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "credit_code", "categories")}),
        (_("Contact"), {"fields": ("contact_name", "contact_phone", "contact_email", "address")}),
        (_("Admission"), {"fields": readonly_fields}),
        (_("Supplier's user accounts"), {"fields": ("accounts",)}),
    )
    autocomplete_fields = ("accounts",)

    def get_queryset(self, request):
        today = timezone.localdate()
        valid_now = Q(
            documents__valid_from__lte=today,
            documents__valid_to__gte=today,
            documents__review_status=QualificationDocument.Review.ACCEPTED,
        )
        suppliers = (
            super()
            .get_queryset(request)
            .annotate(valid_document_count=Count("documents", filter=valid_now, distinct=True))
            .prefetch_related("categories")
        )
        if has_role(request.user, SUPPLIER) and not request.user.is_superuser:
            # A supplier's user sees its own company only.
            suppliers = suppliers.filter(accounts=request.user)
        return suppliers

    def get_inlines(self, request, obj):
        # A new supplier has no history yet.
        return self.inlines if obj is not None else [QualificationDocumentInline]

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        return ", ".join(category.name for category in obj.categories.all()) or "—"

    @admin.display(description=_("next re-review due"), ordering="next_review_due")
    def review_due(self, obj):
        return highlighted_date(
            obj.next_review_due, past_label=_("overdue"), soon_label=_("due soon")
        )

    @admin.display(description=_("valid documents"), ordering="valid_document_count")
    def valid_documents(self, obj):
        return obj.valid_document_count


# --- Prohibited words ----------------------------------------------------------------------


@admin.register(ProhibitedWord)
class ProhibitedWordAdmin(admin.ModelAdmin):
    list_display = ("word", "reason", "created_at")
    search_fields = ("word", "reason")
    ordering = ("word",)


# --- Spot checks ---------------------------------------------------------------------------


SPOT_CHECK_ACTIONS = [
    ServiceAction(
        name="record_passed",
        label=_("Record as passed"),
        done=_("%(count)d spot check(s) recorded as passed."),
        perform=lambda check, actor, notes: admission.record_spot_check(
            check=check, actor=actor, passed=True, findings=notes
        ),
        sources=frozenset({SpotCheck.Result.PENDING}),
        reason_label=_("Notes (optional)"),
        reason_required=False,
    ),
    ServiceAction(
        name="record_failed",
        label=_("Record as failed (delists the goods, gives the supplier a strike)"),
        done=_("%(count)d spot check(s) recorded as failed."),
        perform=lambda check, actor, findings: admission.record_spot_check(
            check=check, actor=actor, passed=False, findings=findings
        ),
        sources=frozenset({SpotCheck.Result.PENDING}),
        reason_label=_("Findings"),
    ),
]


@admin.register(SpotCheck)
class SpotCheckAdmin(ServiceActionsMixin, admin.ModelAdmin):
    """Checks are sampled monthly by a job; operators record the verdicts here."""

    list_display = (
        "product",
        "supplier",
        "kind",
        "month",
        "due_on",
        "result",
        "checked_by",
        "checked_at",
    )
    list_filter = ("result", "kind", ("period", admin.AllValuesFieldListFilter), "supplier")
    list_select_related = ("product", "supplier", "checked_by")
    search_fields = ("product__name", "supplier__name")
    fields = (
        "product",
        "supplier",
        "kind",
        "period",
        "due_on",
        "result",
        "findings",
        "checked_by",
        "checked_at",
    )
    readonly_fields = fields
    service_actions = SPOT_CHECK_ACTIONS
    state_parameter = "result__exact"
    actions = [make_admin_action(spec) for spec in SPOT_CHECK_ACTIONS]

    def get_ordering(self, request):
        pending_first = Case(
            When(result=SpotCheck.Result.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (pending_first.asc(), "-period", "pk")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("sampling month"), ordering="period")
    def month(self, obj):
        return obj.period.strftime("%Y-%m")
