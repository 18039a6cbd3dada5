"""Goods admission: suppliers, their qualification documents, prohibited words, spot checks."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord
from mall.validators import validate_credit_code


class DocumentType(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    PRODUCTION_LICENCE = "production_licence", _("Production licence")
    QUALITY_REPORT = "quality_report", _("Quality inspection report")
    CCC = "ccc", _("3C certificate")
    FOOD_PERMIT = "food_permit", _("Food business permit")
    BRAND_AUTHORISATION = "brand_authorisation", _("Brand authorisation")
    COSMETICS_FILING = "cosmetics_filing", _("Cosmetics filing certificate")
    MEDICAL_DEVICE = "medical_device", _("Medical device registration")


class Supplier(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    name = models.CharField(_("company name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    contact_email = models.EmailField(_("contact email"), blank=True)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    categories = models.ManyToManyField(
        "catalog.Category",
        verbose_name=_("categories it may supply"),
        related_name="suppliers",
        blank=True,
        help_text=_("A category covers its subcategories."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPLIED, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"),
        default=7,
        help_text=_("Days from a purchase order to the goods in our warehouse."),
    )
    next_review_due = models.DateField(_("next re-review due"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # The supplier's own people in the back office (role "supplier"): they see and act
    # on this supplier's records only.
    accounts = models.ManyToManyField(
        "customers.User",
        verbose_name=_("supplier's user accounts"),
        related_name="supplier_accounts",
        blank=True,
    )

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self):
        return self.name


SUPPLIER_MACHINE = Machine(
    Transition("start_review", sources={"applied"}, target="under_review", label=_("start review")),
    Transition(
        "return_for_changes",
        sources={"under_review"},
        target="applied",
        label=_("return for changes"),
    ),
    Transition("approve", sources={"under_review"}, target="approved", label=_("approve")),
    Transition("suspend", sources={"approved"}, target="suspended", label=_("suspend")),
    Transition("reinstate", sources={"suspended"}, target="approved", label=_("reinstate")),
    Transition(
        "terminate",
        sources={"applied", "under_review", "approved", "suspended"},
        target="terminated",
        label=_("terminate"),
    ),
)


class SupplierStatusChange(TransitionRecord):
    subject = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("supplier status change")
        verbose_name_plural = _("supplier status changes")


def qualification_upload_path(instance, filename):
    return f"qualifications/{instance.supplier_id}/{filename}"


class QualificationDocumentQuerySet(models.QuerySet):
    def in_force(self, day):
        """Documents that count on ``day``: accepted by an operator and valid then."""
        return self.filter(review_status="accepted", valid_from__lte=day, valid_to__gte=day)


class QualificationDocument(models.Model):
    """A licence or certificate of a supplier, with the scan an operator checked."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="documents", verbose_name=_("supplier")
    )
    doc_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)
    number = models.CharField(_("document number"), max_length=100)
    issuer = models.CharField(_("issued by"), max_length=200)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    scan = models.FileField(_("scan"), upload_to=qualification_upload_path)
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))
    expiry_warned_at = models.DateTimeField(_("expiry warning sent at"), null=True, blank=True)
    expired_handled_at = models.DateTimeField(_("expiry handled at"), null=True, blank=True)
    # A document a supplier uploads itself counts only once an operator accepted it.
    review_status = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.ACCEPTED, db_index=True
    )
    uploaded_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.CharField(_("review note"), max_length=200, blank=True)

    objects = QualificationDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")
        ordering = ["supplier", "doc_type", "-valid_to"]
        permissions = [
            ("review_qualificationdocument", "Can accept or reject a supplier's document")
        ]
        indexes = [models.Index(fields=["valid_to"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="qualification_valid_interval",
            )
        ]

    def __str__(self):
        return f"{self.get_doc_type_display()} {self.number}"

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day <= self.valid_to


class ProhibitedWord(models.Model):
    """Words that may not appear in any goods text (prohibited or restricted goods)."""

    word = models.CharField(_("word"), max_length=50, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("prohibited word")
        verbose_name_plural = _("prohibited words")
        ordering = ["word"]

    def __str__(self):
        return self.word


class SpotCheck(models.Model):
    """A listed product that an operator must check (quality, labelling, ...): sampled
    monthly, or newly listed (checked within ``MALL_NEW_LISTING_CHECK_DAYS``)."""

    class Kind(models.TextChoices):
        SAMPLE = "sample", _("Monthly sample")
        NEW_LISTING = "new_listing", _("Newly listed")

    class Result(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="spot_checks",
        verbose_name=_("product"),
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="spot_checks", verbose_name=_("supplier")
    )
    period = models.DateField(_("sampling month"), help_text=_("First day of the month."))
    kind = models.CharField(
        _("why"), max_length=12, choices=Kind.choices, default=Kind.SAMPLE, db_index=True
    )
    due_on = models.DateField(_("check by"), null=True, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING, db_index=True
    )
    findings = models.TextField(_("findings"), blank=True)
    checked_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-period", "result", "pk"]
        constraints = [
            # The monthly job may run twice; each product is sampled once per month.
            models.UniqueConstraint(
                fields=["product", "period"],
                condition=Q(kind="sample"),
                name="spot_check_once_a_month",
            ),
            # A product's first listing is checked once, whenever it is listed again.
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(kind="new_listing"),
                name="spot_check_new_listing_once",
            ),
        ]

    def __str__(self):
        return f"{self.product} ({self.period:%Y-%m})"


class SupplierStrike(models.Model):
    """A failed spot check counts against its supplier for 12 months."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="strikes")
    spot_check = models.OneToOneField(SpotCheck, on_delete=models.PROTECT, related_name="strike")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("supplier strike")
        verbose_name_plural = _("supplier strikes")

    def __str__(self):
        return f"{self.supplier}: {self.spot_check}"


class ReReviewTask(models.Model):
    """An approved supplier's periodic re-review falling due: a task in the operators'
    queue, created with a reminder ``MALL_REREVIEW_REMIND_DAYS`` before ``due_on``.
    ``record_re_review`` closes it; nobody acting within ``MALL_REREVIEW_GRACE_DAYS`` after
    the date suspends the supplier (the reason on its history)."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="re_reviews"
    )
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        "customers.User",
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    suspended_at = models.DateTimeField(_("supplier suspended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-review task")
        verbose_name_plural = _("re-review tasks")
        ordering = ["due_on", "pk"]
        constraints = [
            # The daily job may run twice: one task per supplier and due date.
            models.UniqueConstraint(fields=["supplier", "due_on"], name="re_review_task_once"),
        ]

    def __str__(self):
        return f"{self.supplier} ({self.due_on})"
