"""Admission follow-ups: supplier re-reviews that fall due, and renewed qualification
documents a supplier uploads itself (which count only once an operator accepted them).

``follow_up_re_reviews`` (daily): an approved supplier whose re-review is due within
``MALL_REREVIEW_REMIND_DAYS`` gets a task in the operators' queue (``ReReviewTask``) and
the operators a reminder, once per due date. ``record_re_review`` closes the task. A task
still open ``MALL_REREVIEW_GRACE_DAYS`` after its date suspends the supplier (its goods
delisted), the reason on the supplier's history.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.roles import SUPPLIER, has_role

from ...exceptions import CatalogError, ReasonRequired
from ...models import DocumentType, QualificationDocument, ReReviewTask, Supplier
from ..media import process_document_scan
from .suppliers import notify_operators, suspend_supplier

# --- Re-reviews ------------------------------------------------------------------------------


def follow_up_re_reviews(*, today=None) -> dict[str, int]:
    """The daily job (see the module): returns ``{"tasks", "suspended"}``, the tasks
    created (each with its reminder) and the suppliers suspended. Safe to run twice: a
    task is unique per supplier and due date, a suspension happens once."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.MALL_REREVIEW_REMIND_DAYS)
    created = suspended = 0
    due = Supplier.objects.filter(
        status=Supplier.Status.APPROVED, next_review_due__lte=horizon
    ).order_by("next_review_due", "pk")
    for supplier in due:
        try:
            with transaction.atomic():
                ReReviewTask.objects.create(supplier=supplier, due_on=supplier.next_review_due)
                notify_operators(
                    _("Supplier re-review due: %(supplier)s") % {"supplier": supplier},
                    _(
                        "The periodic re-review of %(supplier)s is due on %(date)s. Record it "
                        "on the supplier's page; without it the supplier is suspended "
                        "%(grace)s days after that date."
                    )
                    % {
                        "supplier": supplier,
                        "date": supplier.next_review_due,
                        "grace": settings.MALL_REREVIEW_GRACE_DAYS,
                    },
                )
        except IntegrityError:
            continue  # this due date's task exists already
        created += 1
    cutoff = today - datetime.timedelta(days=settings.MALL_REREVIEW_GRACE_DAYS)
    lapsed = ReReviewTask.objects.filter(
        done_at__isnull=True, suspended_at__isnull=True, due_on__lt=cutoff
    ).order_by("pk")
    for task_id in list(lapsed.values_list("pk", flat=True)):
        with transaction.atomic():
            task = (
                ReReviewTask.objects.select_for_update().select_related("supplier").get(pk=task_id)
            )
            if task.done_at or task.suspended_at:
                continue
            task.suspended_at = timezone.now()
            task.save(update_fields=["suspended_at"])
            if task.supplier.status != Supplier.Status.APPROVED:
                continue
            reason = _("re-review due on %(date)s not recorded within %(grace)s days") % {
                "date": task.due_on,
                "grace": settings.MALL_REREVIEW_GRACE_DAYS,
            }
            delisted = suspend_supplier(supplier=task.supplier, actor=None, reason=reason)
            notify_operators(
                _("Supplier suspended: %(supplier)s") % {"supplier": task.supplier},
                _("%(reason)s. %(count)s listed goods were delisted.")
                % {"reason": reason, "count": delisted},
            )
            suspended += 1
    return {"tasks": created, "suspended": suspended}


# --- Renewed documents -----------------------------------------------------------------------


def upload_document(
    *,
    supplier: Supplier,
    actor,
    doc_type: str,
    number: str,
    issuer: str,
    valid_from: datetime.date,
    valid_to: datetime.date,
    scan,
) -> QualificationDocument:
    """A supplier's user uploads a renewed document for its own supplier: it waits for an
    operator's review (``accept_document``) and counts for nothing until accepted. The
    scan is checked like every document (``process_document_scan``). Operators are told.

    Raises ``PermissionDenied`` for another supplier, ``CatalogError`` with every
    problem (type, number, issuer, dates) and ``InvalidUpload`` for a bad scan.
    """
    if has_role(actor, SUPPLIER) and not supplier.accounts.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("You can upload documents for your own company only."))
    problems = []
    if doc_type not in DocumentType.values:
        problems.append(_("choose the document type"))
    if not number.strip():
        problems.append(_("give the document number"))
    if not issuer.strip():
        problems.append(_("say who issued it"))
    if valid_from is None or valid_to is None or valid_to < valid_from:
        problems.append(_("the validity must end after it begins"))
    elif valid_to < timezone.localdate():
        problems.append(_("the document has expired already"))
    if problems:
        raise CatalogError("; ".join(str(problem) for problem in problems))
    content = process_document_scan(scan)
    with transaction.atomic():
        document = QualificationDocument(
            supplier=supplier,
            doc_type=doc_type,
            number=number.strip(),
            issuer=issuer.strip(),
            valid_from=valid_from,
            valid_to=valid_to,
            review_status=QualificationDocument.Review.PENDING,
            uploaded_by=actor,
        )
        document.scan.save(content.name, content, save=False)
        document.save()
        notify_operators(
            _("Renewed document to review: %(supplier)s") % {"supplier": supplier},
            _("%(supplier)s uploaded %(document)s, valid until %(date)s.")
            % {"supplier": supplier, "document": document, "date": valid_to},
        )
    return document


def _decide(document, actor, status, note):
    if not actor.has_perm("catalog.review_qualificationdocument"):
        raise PermissionDenied(_("You may not review qualification documents."))
    with transaction.atomic():
        done = QualificationDocument.objects.filter(
            pk=document.pk, review_status=QualificationDocument.Review.PENDING
        ).update(review_status=status, reviewed_by=actor, review_note=note.strip()[:200])
        document.refresh_from_db()
        if not done:
            raise CatalogError(
                _("This document was already reviewed: “%(status)s”.")
                % {"status": document.get_review_status_display()}
            )
    return document


def accept_document(*, document: QualificationDocument, actor, note: str = ""):
    """An operator accepts a supplier's upload: from now on it counts (approval, expiry,
    re-review). Raises ``PermissionDenied`` without the review permission, ``CatalogError``
    when it was reviewed already."""
    return _decide(document, actor, QualificationDocument.Review.ACCEPTED, note)


def reject_document(*, document: QualificationDocument, actor, note: str):
    """An operator rejects a supplier's upload, saying why (``ReasonRequired``)."""
    if not note.strip():
        raise ReasonRequired()
    return _decide(document, actor, QualificationDocument.Review.REJECTED, note)
