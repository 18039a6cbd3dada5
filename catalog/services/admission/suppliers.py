"""Suppliers' admission: review, approval with their qualifications checked, suspension
(their goods delisted), reinstatement, termination, the periodic re-review, and the daily
job that warns of documents about to expire and suspends suppliers whose have lapsed."""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.approval import asked_by_id, check_four_eyes
from mall.roles import OPERATOR
from mall.statemachine import transition

from ...exceptions import (
    CatalogError,
    FourEyesRequired,
    ReasonRequired,
    SupplierNotQualified,
)
from ...models import (
    SUPPLIER_MACHINE,
    DocumentType,
    QualificationDocument,
    ReReviewTask,
    Supplier,
    SupplierStatusChange,
)
from .goods import delist_supplier_goods
from .rules import required_document_types

# --- Suppliers ---------------------------------------------------------------------------


def _supplier_transition(supplier, name, *, actor, reason="", update_fields=()):
    return transition(
        supplier,
        SUPPLIER_MACHINE,
        name,
        history=SupplierStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)


def start_supplier_review(*, supplier: Supplier, actor) -> Supplier:
    return _supplier_transition(supplier, "start_review", actor=actor)


def return_supplier_for_changes(*, supplier: Supplier, actor, reason: str) -> Supplier:
    if not reason.strip():
        raise ReasonRequired()
    return _supplier_transition(supplier, "return_for_changes", actor=actor, reason=reason)


def _qualification_problems(supplier: Supplier, today) -> list[str]:
    """A supplier needs a valid business licence and every document its categories need."""
    valid = set(supplier.documents.in_force(today).values_list("doc_type", flat=True))
    needed = {DocumentType.BUSINESS_LICENCE.value}
    for category in supplier.categories.all():
        needed.update(required_document_types(category))
    return [
        _("no valid %(document)s") % {"document": DocumentType(doc).label}
        for doc in sorted(needed - valid)
    ]


@transaction.atomic
def approve_supplier(*, supplier: Supplier, actor, reason: str = "") -> Supplier:
    """Admit a supplier under review. Raises ``SupplierNotQualified`` when a needed
    document is missing or not valid today, ``FourEyesRequired`` when ``actor`` started
    the review (four eyes: one checks the documents, another admits). Sets the next
    re-review date."""
    today = timezone.localdate()
    SUPPLIER_MACHINE.check(supplier, "approve")
    check_four_eyes(
        actor=actor,
        asked_by_id=asked_by_id(SupplierStatusChange, supplier, "start_review"),
        refusal=lambda: FourEyesRequired(
            _("Another operator must approve “%(supplier)s”: you reviewed its documents.")
            % {"supplier": supplier}
        ),
        system_may_decide=True,
    )
    problems = _qualification_problems(supplier, today)
    if problems:
        raise SupplierNotQualified(supplier, problems)
    supplier.approved_at = timezone.now()
    supplier.next_review_due = _add_months(today, settings.MALL_SUPPLIER_REREVIEW_MONTHS)
    return _supplier_transition(
        supplier,
        "approve",
        actor=actor,
        reason=reason,
        update_fields=["approved_at", "next_review_due"],
    )


@transaction.atomic
def suspend_supplier(*, supplier: Supplier, actor, reason: str) -> int:
    """Suspend a supplier and delist all its goods at once; returns how many were delisted."""
    if not reason.strip():
        raise ReasonRequired()
    _supplier_transition(supplier, "suspend", actor=actor, reason=reason)
    return delist_supplier_goods(
        supplier=supplier,
        actor=actor,
        reason=_("Supplier suspended: %(reason)s") % {"reason": reason},
    )


@transaction.atomic
def reinstate_supplier(*, supplier: Supplier, actor, reason: str) -> Supplier:
    """Lift a suspension once the supplier is qualified again. Its goods stay delisted:
    an operator lists them again one by one (each is checked when listed)."""
    if not reason.strip():
        raise ReasonRequired()
    SUPPLIER_MACHINE.check(supplier, "reinstate")
    problems = _qualification_problems(supplier, timezone.localdate())
    if problems:
        raise SupplierNotQualified(supplier, problems)
    return _supplier_transition(supplier, "reinstate", actor=actor, reason=reason)


@transaction.atomic
def terminate_supplier(*, supplier: Supplier, actor, reason: str) -> int:
    """End the relationship: the supplier can never sell again; all goods are delisted."""
    if not reason.strip():
        raise ReasonRequired()
    _supplier_transition(supplier, "terminate", actor=actor, reason=reason)
    return delist_supplier_goods(
        supplier=supplier,
        actor=actor,
        reason=_("Supplier terminated: %(reason)s") % {"reason": reason},
    )


@transaction.atomic
def record_re_review(*, supplier: Supplier, actor, passed: bool, notes: str) -> Supplier:
    """The periodic re-review of an approved supplier. Passing moves the next due date;
    failing suspends the supplier (and delists its goods)."""
    if not notes.strip():
        raise ReasonRequired()
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    if supplier.status != Supplier.Status.APPROVED:
        raise CatalogError(
            _("Only approved suppliers are re-reviewed; %(supplier)s is “%(status)s”.")
            % {"supplier": supplier, "status": supplier.get_status_display()}
        )
    if not passed:
        ReReviewTask.objects.filter(supplier=supplier, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=actor
        )
        suspend_supplier(
            supplier=supplier,
            actor=actor,
            reason=_("Failed re-review: %(notes)s") % {"notes": notes},
        )
        return supplier
    today = timezone.localdate()
    problems = _qualification_problems(supplier, today)
    if problems:
        raise SupplierNotQualified(supplier, problems)
    supplier.next_review_due = _add_months(today, settings.MALL_SUPPLIER_REREVIEW_MONTHS)
    supplier.save(update_fields=["next_review_due"])
    ReReviewTask.objects.filter(supplier=supplier, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=actor
    )
    SupplierStatusChange.objects.create(
        subject=supplier,
        transition="re_review",
        from_state=supplier.status,
        to_state=supplier.status,
        actor=actor,
        reason=notes,
    )
    return supplier


# --- Documents expiring --------------------------------------------------------------------


def notify_operators(subject: str, body: str) -> None:
    """An email to every active operator (the back office's shared inbox of work)."""
    _notify_operators(subject, body)


def _notify_operators(subject: str, body: str) -> None:
    from customers.models import User

    recipients = list(
        User.objects.filter(groups__name=OPERATOR, is_active=True, email__isnull=False)
        .values_list("email", flat=True)
        .distinct()
    )
    if recipients:
        send_mail(subject, body, None, recipients)


def warn_expiring_documents(*, today=None) -> int:
    """Tell operators about documents of approved suppliers that expire within the warning
    window. Each document is warned about once; returns how many were."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.MALL_DOCUMENT_EXPIRY_WARNING_DAYS)
    warned = 0
    expiring = QualificationDocument.objects.filter(
        review_status=QualificationDocument.Review.ACCEPTED,
        valid_to__gte=today,
        valid_to__lte=horizon,
        expiry_warned_at__isnull=True,
        supplier__status=Supplier.Status.APPROVED,
    ).select_related("supplier")
    for document in expiring:
        with transaction.atomic():
            claimed = QualificationDocument.objects.filter(
                pk=document.pk, expiry_warned_at__isnull=True
            ).update(expiry_warned_at=timezone.now())
            if not claimed:
                continue  # another run got it first
            _notify_operators(
                _("Qualification expires soon: %(supplier)s") % {"supplier": document.supplier},
                _(
                    "%(document)s of %(supplier)s expires on %(date)s. Without a renewed "
                    "document the supplier will be suspended and its goods delisted."
                )
                % {"document": document, "supplier": document.supplier, "date": document.valid_to},
            )
            warned += 1
    return warned


def suspend_suppliers_with_expired_documents(*, today=None) -> int:
    """Suspend approved suppliers whose needed document has lapsed (no valid replacement
    of the same type) and delist their goods. Returns how many suppliers were suspended."""
    today = today or timezone.localdate()
    suspended = 0
    lapsed = (
        QualificationDocument.objects.filter(
            review_status=QualificationDocument.Review.ACCEPTED,
            valid_to__lt=today,
            expired_handled_at__isnull=True,
            supplier__status=Supplier.Status.APPROVED,
        )
        .select_related("supplier")
        .order_by("supplier_id", "pk")
    )
    for document in lapsed:
        supplier = document.supplier
        with transaction.atomic():
            replaced = (
                supplier.documents.in_force(today).filter(doc_type=document.doc_type).exists()
            )
            QualificationDocument.objects.filter(pk=document.pk).update(
                expired_handled_at=timezone.now()
            )
            supplier.refresh_from_db(fields=["status"])
            if replaced or supplier.status != Supplier.Status.APPROVED:
                continue
            reason = _("%(document)s expired on %(date)s") % {
                "document": document,
                "date": document.valid_to,
            }
            delisted = suspend_supplier(supplier=supplier, actor=None, reason=reason)
            _notify_operators(
                _("Supplier suspended: %(supplier)s") % {"supplier": supplier},
                _("%(reason)s. %(count)s listed goods were delisted.")
                % {"reason": reason, "count": delisted},
            )
            suspended += 1
    return suspended
