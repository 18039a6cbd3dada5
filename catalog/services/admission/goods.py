"""The review flow of goods: submitted with every problem listed, approved or rejected by
an operator, listed and delisted, revised; a supplier's goods delisted together."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.approval import asked_by_id, check_four_eyes
from mall.statemachine import transition

from ...exceptions import FourEyesRequired, ReasonRequired, SubmissionRefused
from ...models import PRODUCT_MACHINE, Product, ProductStatusChange, SkuPrice, Supplier
from .. import price_ranges
from .rules import submission_problems, supplier_problems

# --- The review flow of goods ------------------------------------------------------------


def _product_transition(product, name, *, actor, reason="", update_fields=()):
    product = transition(
        product,
        PRODUCT_MACHINE,
        name,
        history=ProductStatusChange,
        actor=actor,
        reason=reason,
        update_fields=update_fields,
    )
    # Goods coming on or off sale: their stored price range is recomputed (it counts
    # only what is on sale now) and every page showing them is invalidated.
    price_ranges.refresh_price_ranges([product.pk])
    return product


@transaction.atomic
def submit_product(*, product: Product, actor) -> Product:
    """Send a draft (or rejected) product to review.

    Raises ``SubmissionRefused`` listing every missing piece (information, attributes,
    images, SKUs, supplier qualification, prohibited words), or ``IllegalTransition``.
    """
    PRODUCT_MACHINE.check(product, "submit")
    problems = submission_problems(product)
    if problems:
        raise SubmissionRefused(product, problems, PRODUCT_MACHINE["submit"].label)
    return _product_transition(product, "submit", actor=actor)


def _goods_four_eyes(product) -> FourEyesRequired:
    return FourEyesRequired(
        _("Another operator must review “%(product)s”: you submitted it.") % {"product": product}
    )


def check_second_reviewer(*, product: Product, actor) -> None:
    """Four eyes on goods: whoever submitted ``product`` may not approve or reject it
    (``FourEyesRequired``). The system (a job, an import) may."""
    check_four_eyes(
        actor=actor,
        asked_by_id=asked_by_id(ProductStatusChange, product, "submit"),
        refusal=lambda: _goods_four_eyes(product),
        system_may_decide=True,
    )


@transaction.atomic
def approve_product(*, product: Product, actor, reason: str = "") -> Product:
    """Approve submitted goods. The rules are checked again: the supplier or the word
    list may have changed since submission. Raises ``SubmissionRefused``, and
    ``FourEyesRequired`` when ``actor`` submitted them."""
    PRODUCT_MACHINE.check(product, "approve")
    check_second_reviewer(product=product, actor=actor)
    problems = submission_problems(product)
    if problems:
        raise SubmissionRefused(product, problems, PRODUCT_MACHINE["approve"].label)
    return _product_transition(product, "approve", actor=actor, reason=reason)


@transaction.atomic
def reject_product(*, product: Product, actor, reason: str) -> Product:
    """Send submitted goods back with the reviewer's reasons (required); the person who
    submitted them may not (``FourEyesRequired``)."""
    if not reason.strip():
        raise ReasonRequired()
    PRODUCT_MACHINE.check(product, "reject")
    check_second_reviewer(product=product, actor=actor)
    return _product_transition(product, "reject", actor=actor, reason=reason)


@transaction.atomic
def list_product(*, product: Product, actor, reason: str = "") -> Product:
    """Put approved (or delisted) goods on sale.

    Refused (``SubmissionRefused``) unless the supplier may still sell in the category and
    every SKU on sale has a current price. The first listing books a spot check of the
    new goods (``spot_checks.check_new_listing``).
    """
    PRODUCT_MACHINE.check(product, "list")
    problems = supplier_problems(product.supplier, product.category)
    now = timezone.now()
    for sku in product.skus.filter(is_active=True):
        priced = SkuPrice.objects.filter(sku=sku, valid_from__lte=now).exclude(valid_to__lte=now)
        if not priced.exists():
            problems.append(_("the SKU %(code)s has no price") % {"code": sku.code})
    if problems:
        raise SubmissionRefused(product, problems, PRODUCT_MACHINE["list"].label)
    product.listed_at = now
    product = _product_transition(
        product, "list", actor=actor, reason=reason, update_fields=["listed_at"]
    )
    from .spot_checks import check_new_listing  # spot_checks imports this module

    check_new_listing(product=product)
    return product


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
