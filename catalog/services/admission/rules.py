"""The rules of admission: a category's lineage and what it requires (qualification
documents, product information, attributes), whether a supplier may sell in a category,
prohibited words, and every problem of a submission at once."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from ...models import (
    PRODUCT_INFO_FIELDS,
    Category,
    CategoryAttribute,
    DocumentType,
    Product,
    ProhibitedWord,
    QualificationDocument,
    Supplier,
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
        QualificationDocument.objects.filter(supplier=supplier)
        .in_force(today)
        .values_list("doc_type", flat=True)
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
