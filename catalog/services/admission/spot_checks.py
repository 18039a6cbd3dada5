"""Spot checks: a monthly random sample of listed goods per approved supplier, a check
of every newly listed product within ``MALL_NEW_LISTING_CHECK_DAYS``, and the checks'
results (a failed one delists the goods, strikes the supplier, and suspends it after too
many strikes)."""

import datetime
import math
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ...exceptions import (
    ReasonRequired,
    SpotCheckAlreadyRecorded,
)
from ...models import (
    Product,
    SpotCheck,
    Supplier,
    SupplierStrike,
)
from .goods import delist_product
from .suppliers import suspend_supplier

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
        already = SpotCheck.objects.filter(
            supplier=supplier, period=period, kind=SpotCheck.Kind.SAMPLE
        ).count()
        wanted = max(1, math.ceil(listed.count() * share)) - already
        if wanted <= 0:
            continue
        sample = listed.exclude(
            spot_checks__period=period, spot_checks__kind=SpotCheck.Kind.SAMPLE
        ).order_by("?")[:wanted]
        for product in sample:
            _, made = SpotCheck.objects.get_or_create(
                product=product,
                period=period,
                kind=SpotCheck.Kind.SAMPLE,
                defaults={"supplier": supplier},
            )
            created += made
    return created


def check_new_listing(*, product: Product, today=None) -> SpotCheck | None:
    """A product listed for the first time gets a spot check due within
    ``MALL_NEW_LISTING_CHECK_DAYS``, on top of the monthly sample. Once per product
    (a partial unique index), so listing it again adds nothing; returns the new check or
    None. Runs in the caller's transaction (``list_product``)."""
    today = today or timezone.localdate()
    check, made = SpotCheck.objects.get_or_create(
        product=product,
        kind=SpotCheck.Kind.NEW_LISTING,
        defaults={
            "supplier_id": product.supplier_id,
            "period": today.replace(day=1),
            "due_on": today + datetime.timedelta(days=settings.MALL_NEW_LISTING_CHECK_DAYS),
        },
    )
    return check if made else None


def overdue_spot_checks(*, today=None):
    """Pending checks past their ``due_on`` (newly listed goods not checked in time)."""
    today = today or timezone.localdate()
    return SpotCheck.objects.filter(result=SpotCheck.Result.PENDING, due_on__lt=today)


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
