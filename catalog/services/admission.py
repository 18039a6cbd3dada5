"""Goods admission: who may sell what, the review flow of goods, and what takes goods off
sale (an expired licence, a failed spot check, a suspended supplier).

Every state change goes through ``mall.statemachine.transition`` and leaves a history row.
"""

import datetime
import math
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.roles import OPERATOR
from mall.statemachine import transition

from ..exceptions import (
    CatalogError,
    ReasonRequired,
    SpotCheckAlreadyRecorded,
    SubmissionRefused,
    SupplierNotQualified,
)
from ..models import (
    PRODUCT_INFO_FIELDS,
    PRODUCT_MACHINE,
    SUPPLIER_MACHINE,
    Category,
    CategoryAttribute,
    DocumentType,
    Product,
    ProductStatusChange,
    ProhibitedWord,
    QualificationDocument,
    SkuPrice,
    SpotCheck,
    Supplier,
    SupplierStatusChange,
    SupplierStrike,
)

# --- Category lineage --------------------------------------------------------------------


def lineage_in(by_id: dict[int, Category], category: Category) -> list[Category]:
    """``category`` and its ancestors from ``by_id`` (every category by pk), root last.
    Stops at a cycle rather than looping."""
    lineage, seen, current = [], set(), by_id.get(category.pk, category)
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        lineage.append(current)
        current = by_id.get(current.parent_id)
    return lineage


def category_lineage(category: Category) -> list[Category]:
    """The category and its ancestors, root last. Categories are few: one query."""
    return lineage_in({c.pk: c for c in Category.objects.all()}, category)


def required_document_types(category: Category) -> list[str]:
    return sorted({doc for c in category_lineage(category) for doc in c.required_documents})


def required_info_fields(category: Category) -> list[str]:
    return sorted({key for c in category_lineage(category) for key in c.required_info})


def attribute_schema(category: Category) -> list[CategoryAttribute]:
    """The attributes of a category, its own and its ancestors' (a child may override)."""
    lineage = category_lineage(category)
    by_code: dict[str, CategoryAttribute] = {}
    rows = CategoryAttribute.objects.filter(category__in=lineage)
    depth = {c.pk: i for i, c in enumerate(lineage)}
    for attribute in sorted(rows, key=lambda a: -depth[a.category_id]):
        by_code[attribute.code] = attribute  # deeper categories come last and win
    return sorted(by_code.values(), key=lambda a: (a.position, a.pk))


# --- Who may sell what -------------------------------------------------------------------


def supplier_problems(supplier: Supplier, category: Category, *, today=None) -> list[str]:
    """Why ``supplier`` may not sell goods in ``category`` today (empty: it may)."""
    today = today or timezone.localdate()
    problems = []
    if supplier.status != Supplier.Status.APPROVED:
        problems.append(
            _("the supplier %(supplier)s is not approved (it is “%(status)s”)")
            % {"supplier": supplier, "status": supplier.get_status_display()}
        )
    lineage_ids = {c.pk for c in category_lineage(category)}
    allowed = set(supplier.categories.values_list("pk", flat=True))
    if not lineage_ids & allowed:
        problems.append(
            _("the supplier is not admitted for the category “%(category)s”")
            % {"category": category}
        )
    valid_types = set(
        QualificationDocument.objects.filter(
            supplier=supplier, valid_from__lte=today, valid_to__gte=today
        ).values_list("doc_type", flat=True)
    )
    for doc_type in required_document_types(category):
        if doc_type not in valid_types:
            problems.append(
                _("the supplier has no valid %(document)s")
                % {"document": DocumentType(doc_type).label}
            )
    return problems


def prohibited_words_in(texts: list[str]) -> list[str]:
    """The prohibited words that occur (case-insensitively) in any of ``texts``."""
    haystack = "\n".join(t for t in texts if t).lower()
    words = ProhibitedWord.objects.values_list("word", flat=True)
    return sorted({word for word in words if word.lower() in haystack})


def _product_texts(product: Product) -> list[str]:
    texts = [
        product.name,
        product.subtitle,
        product.brand,
        product.description,
        product.origin,
        product.usage,
        product.after_sales_terms,
    ]
    texts += [str(v) for v in product.info.values()]
    texts += [str(v) for v in product.attributes.values()]
    for sku in product.skus.all():
        texts += [str(v) for v in sku.spec.values()]
    return texts


def _attribute_problems(product: Product) -> list[str]:
    problems = []
    for attribute in attribute_schema(product.category):
        value = product.attributes.get(attribute.code)
        if value in (None, ""):
            if attribute.required:
                problems.append(_("the attribute “%(name)s” is missing") % {"name": attribute.name})
            continue
        kind = CategoryAttribute.Kind
        if attribute.kind == kind.CHOICE and value not in attribute.choices:
            problems.append(
                _("“%(value)s” is not one of the choices for “%(name)s”")
                % {"value": value, "name": attribute.name}
            )
        elif attribute.kind == kind.NUMBER:
            try:
                Decimal(str(value))
            except ArithmeticError:
                problems.append(_("“%(name)s” must be a number") % {"name": attribute.name})
        elif attribute.kind == kind.BOOLEAN and not isinstance(value, bool):
            problems.append(_("“%(name)s” must be yes or no") % {"name": attribute.name})
    return problems


def submission_problems(product: Product, *, today=None) -> list[str]:
    """Everything that stops ``product`` from being submitted for review (empty: nothing)."""
    problems = []
    for key in required_info_fields(product.category):
        if not str(product.info.get(key, "")).strip():
            problems.append(
                _("the product information “%(field)s” is missing")
                % {"field": PRODUCT_INFO_FIELDS[key]}
            )
    problems += _attribute_problems(product)
    if not product.images.exists():
        problems.append(_("at least one image is required"))
    if not product.skus.filter(is_active=True).exists():
        problems.append(_("at least one SKU on sale is required"))
    if not product.description.strip():
        problems.append(_("the description is missing"))
    if not product.after_sales_terms.strip():
        problems.append(_("the after-sales terms are missing"))
    problems += supplier_problems(product.supplier, product.category, today=today)
    found = prohibited_words_in(_product_texts(product))
    if found:
        problems.append(
            _("the text contains prohibited words: %(words)s") % {"words": ", ".join(found)}
        )
    return problems


# --- The review flow of goods ------------------------------------------------------------


def _product_transition(product, name, *, actor, reason="", update_fields=()):
    return transition(
        product,
        PRODUCT_MACHINE,
        name,
        history=ProductStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )


@transaction.atomic
def submit_product(*, product: Product, actor) -> Product:
    """Send a draft (or rejected) product to review.

    Raises ``SubmissionRefused`` listing every missing piece (information, attributes,
    images, SKUs, supplier qualification, prohibited words), or ``IllegalTransition``.
    """
    PRODUCT_MACHINE.check(product, "submit")
    problems = submission_problems(product)
    if problems:
        raise SubmissionRefused(product, problems)
    return _product_transition(product, "submit", actor=actor)


@transaction.atomic
def approve_product(*, product: Product, actor, reason: str = "") -> Product:
    """Approve submitted goods. The rules are checked again: the supplier or the word
    list may have changed since submission. Raises ``SubmissionRefused``."""
    PRODUCT_MACHINE.check(product, "approve")
    problems = submission_problems(product)
    if problems:
        raise SubmissionRefused(product, problems)
    return _product_transition(product, "approve", actor=actor, reason=reason)


@transaction.atomic
def reject_product(*, product: Product, actor, reason: str) -> Product:
    """Send submitted goods back with the reviewer's reasons (required)."""
    if not reason.strip():
        raise ReasonRequired()
    return _product_transition(product, "reject", actor=actor, reason=reason)


@transaction.atomic
def list_product(*, product: Product, actor, reason: str = "") -> Product:
    """Put approved (or delisted) goods on sale.

    Refused (``SubmissionRefused``) unless the supplier may still sell in the category and
    every SKU on sale has a current price.
    """
    PRODUCT_MACHINE.check(product, "list")
    problems = supplier_problems(product.supplier, product.category)
    now = timezone.now()
    for sku in product.skus.filter(is_active=True):
        priced = SkuPrice.objects.filter(sku=sku, valid_from__lte=now).exclude(valid_to__lte=now)
        if not priced.exists():
            problems.append(_("the SKU %(code)s has no price") % {"code": sku.code})
    if problems:
        raise SubmissionRefused(product, problems)
    product.listed_at = now
    return _product_transition(
        product, "list", actor=actor, reason=reason, update_fields=["listed_at"]
    )


@transaction.atomic
def delist_product(*, product: Product, actor, reason: str) -> Product:
    """Take goods off sale at once, recording why (required)."""
    if not reason.strip():
        raise ReasonRequired()
    return _product_transition(product, "delist", actor=actor, reason=reason)


@transaction.atomic
def revise_product(*, product: Product, actor, reason: str = "") -> Product:
    """Return goods to draft for changes; they must pass review again."""
    return _product_transition(product, "revise", actor=actor, reason=reason)


def delist_supplier_goods(*, supplier: Supplier, actor, reason: str) -> int:
    """Delist every listed product of ``supplier``; returns how many. Part of the caller's
    transaction. Rows are locked in pk order so concurrent callers cannot deadlock."""
    count = 0
    listed = Product.objects.filter(supplier=supplier, status=Product.Status.LISTED)
    for product in listed.order_by("pk").select_for_update():
        _product_transition(product, "delist", actor=actor, reason=reason)
        count += 1
    return count


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
    valid = set(
        supplier.documents.filter(valid_from__lte=today, valid_to__gte=today).values_list(
            "doc_type", flat=True
        )
    )
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
    document is missing or not valid today. Sets the next re-review date."""
    today = timezone.localdate()
    SUPPLIER_MACHINE.check(supplier, "approve")
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
            replaced = supplier.documents.filter(
                doc_type=document.doc_type, valid_from__lte=today, valid_to__gte=today
            ).exists()
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


# --- Spot checks ---------------------------------------------------------------------------


def sample_spot_checks(*, period: datetime.date, share=None) -> int:
    """Sample listed goods of every approved supplier into spot checks for the month of
    ``period``: ``share`` of each supplier's listed goods, at least one. Running it again
    for the same month adds nothing. Returns how many checks were created."""
    # Decimal, not float: 30 goods x 0.1 must be 3 checks, not ceil(3.0000000000000004).
    share = Decimal(str(settings.MALL_SPOT_CHECK_SHARE if share is None else share))
    period = period.replace(day=1)
    created = 0
    suppliers = Supplier.objects.filter(
        status=Supplier.Status.APPROVED, products__status=Product.Status.LISTED
    ).distinct()
    for supplier in suppliers:
        listed = Product.objects.filter(supplier=supplier, status=Product.Status.LISTED)
        already = SpotCheck.objects.filter(supplier=supplier, period=period).count()
        wanted = max(1, math.ceil(listed.count() * share)) - already
        if wanted <= 0:
            continue
        sample = listed.exclude(spot_checks__period=period).order_by("?")[:wanted]
        for product in sample:
            _, made = SpotCheck.objects.get_or_create(
                product=product, period=period, defaults={"supplier": supplier}
            )
            created += made
    return created


@transaction.atomic
def record_spot_check(*, check: SpotCheck, actor, passed: bool, findings: str) -> SpotCheck:
    """Record an operator's verdict. A failure delists the goods and gives the supplier a
    strike; ``MALL_SPOT_CHECK_STRIKE_LIMIT`` strikes within 12 months suspend it."""
    check = SpotCheck.objects.select_for_update().get(pk=check.pk)
    if check.result != SpotCheck.Result.PENDING:
        raise SpotCheckAlreadyRecorded(check)
    if not passed and not findings.strip():
        raise ReasonRequired()
    check.result = SpotCheck.Result.PASSED if passed else SpotCheck.Result.FAILED
    check.findings = findings
    check.checked_by = actor
    check.checked_at = timezone.now()
    check.save(update_fields=["result", "findings", "checked_by", "checked_at"])
    if passed:
        return check
    product = check.product
    if product.status == Product.Status.LISTED:
        delist_product(
            product=product,
            actor=actor,
            reason=_("Failed spot check: %(findings)s") % {"findings": findings},
        )
    SupplierStrike.objects.create(supplier=check.supplier, spot_check=check)
    since = timezone.now() - datetime.timedelta(days=365)
    strikes = SupplierStrike.objects.filter(supplier=check.supplier, created_at__gte=since).count()
    supplier = Supplier.objects.get(pk=check.supplier_id)
    if strikes >= settings.MALL_SPOT_CHECK_STRIKE_LIMIT and supplier.status == "approved":
        suspend_supplier(
            supplier=supplier,
            actor=actor,
            reason=_("%(count)s failed spot checks within 12 months") % {"count": strikes},
        )
    return check
