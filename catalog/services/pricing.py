"""Setting prices. The pricing issue adds requests, approval, scheduling and the honest
reference-price rule; until then a price applies from now until changed."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from mall.money import to_money

from ..exceptions import CatalogError, ReasonRequired
from ..models import SKU, SkuPrice


def current_price(sku: SKU, at=None) -> SkuPrice | None:
    at = at or timezone.now()
    return (
        SkuPrice.objects.filter(sku=sku, valid_from__lte=at)
        .exclude(valid_to__lte=at)
        .order_by("-valid_from")
        .first()
    )


@transaction.atomic
def set_price(*, sku: SKU, amount, actor, reason: str) -> SkuPrice:
    """End the current price now and start ``amount``; both rows stay in the history.

    Raises ``ReasonRequired`` without a reason and ``CatalogError`` for a non-positive
    amount. The SKU row is locked so two concurrent changes cannot both close one row.
    """
    if not reason.strip():
        raise ReasonRequired()
    amount = to_money(Decimal(str(amount)) if not isinstance(amount, Decimal) else amount)
    if amount <= 0:
        raise CatalogError("A price must be above zero.")
    SKU.objects.select_for_update().get(pk=sku.pk)
    now = timezone.now()
    SkuPrice.objects.filter(sku=sku, valid_to__isnull=True).update(valid_to=now)
    return SkuPrice.objects.create(
        sku=sku, amount=amount, valid_from=now, set_by=actor, reason=reason
    )
