"""Prices and stock in SQL: the expressions listings and product pages annotate with (the
current price range, what is available, the thumbnail, the honest "was" price), so a
page's query count does not grow with its rows."""

import datetime
import logging

from django.conf import settings
from django.db.models import (
    DecimalField,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce

from catalog.models import ProductImage, SkuPrice, Stock
from catalog.services import pricing

logger = logging.getLogger("catalog.pricing")


# At or below this many units a page says "Only N left".
LOW_STOCK_THRESHOLD = 5
_MONEY = DecimalField(max_digits=12, decimal_places=2)


# --- Prices and stock in SQL -------------------------------------------------------------


def _current(now, prefix: str = "") -> Q:
    """A price row in force at ``now``: ``valid_from <= now < valid_to`` (open end)."""
    return Q(**{f"{prefix}valid_from__lte": now}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": now})
    )


def _product_price(aggregate, now) -> Subquery:
    prices = (
        SkuPrice.objects.filter(_current(now), sku__product=OuterRef("pk"), sku__is_active=True)
        .order_by()
        .values("sku__product")
        .annotate(value=aggregate("amount"))
        .values("value")
    )
    return Subquery(prices, output_field=_MONEY)


def _product_available() -> Coalesce:
    stock = (
        Stock.objects.sellable()
        .filter(sku__product=OuterRef("pk"), sku__is_active=True)
        .order_by()
        .values("sku__product")
        .annotate(total=Sum(F("on_hand") - F("reserved")))
        .values("total")
    )
    return Coalesce(Subquery(stock, output_field=IntegerField()), Value(0))


def _product_thumb_of_sku() -> Subquery:
    first = ProductImage.objects.filter(product=OuterRef("product_id")).order_by("position", "pk")
    return Subquery(first.values("thumb_small")[:1], output_field=TextField())


def _product_thumb() -> Subquery:
    first = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "pk")
    return Subquery(first.values("thumb_small")[:1], output_field=TextField())


def _sku_price(now) -> Subquery:
    price = SkuPrice.objects.filter(_current(now), sku=OuterRef("pk")).order_by("-valid_from")
    return Subquery(price.values("amount")[:1], output_field=_MONEY)


def _price_row(now, field: str, output_field) -> Subquery:
    price = SkuPrice.objects.filter(_current(now), sku=OuterRef("pk")).order_by("-valid_from")
    return Subquery(price.values(field)[:1], output_field=output_field)


def _lowest_price_before_current() -> Subquery:
    """The lowest price offered in the reference window before the current price began
    (``price_from`` annotated on the outer SKU), for the honest "was" price rule."""
    window_start = OuterRef("price_from") - datetime.timedelta(
        days=settings.MALL_REFERENCE_PRICE_DAYS
    )
    earlier = (
        SkuPrice.objects.filter(sku=OuterRef("pk"), valid_from__lt=OuterRef("price_from"))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=window_start))
        .order_by()
        .values("sku")
        .annotate(lowest=Min("amount"))
        .values("lowest")
    )
    return Subquery(earlier, output_field=_MONEY)


def with_honest_was_prices(skus) -> None:
    """Set ``was_price`` on SKUs annotated by :func:`product_detail`: their current
    price's "was" price when the rule still holds at render time, else ``None``.

    The offered prices come with the SKUs (SQL); sold prices from the orders hook, in one
    call for all SKUs. A "was" price that breaks the rule is not shown, and is logged with
    its figures so an operator can act.
    """
    windows = [
        (sku.pk, *pricing.reference_window(sku.price_from))
        for sku in skus
        if getattr(sku, "price_reference", None) is not None
    ]
    sold = pricing.lowest_sold_prices(windows) if windows else {}
    for sku in skus:
        sku.was_price = None
        if getattr(sku, "price_reference", None) is None:
            continue
        floors = [x for x in (sku.price_lowest_before, sold.get(sku.pk)) if x is not None]
        if floors and sku.price_reference <= min(floors):
            sku.was_price = sku.price_reference
        else:
            logger.warning(
                "was-price hidden: above the lowest earlier price",
                extra={"sku": sku.pk, "was": str(sku.price_reference), "lowest": str(floors)},
            )


def _sku_available() -> Coalesce:
    stock = (
        Stock.objects.sellable()
        .filter(sku=OuterRef("pk"))
        .order_by()
        .values("sku")
        .annotate(total=Sum(F("on_hand") - F("reserved")))
        .values("total")
    )
    return Coalesce(Subquery(stock, output_field=IntegerField()), Value(0))


def stock_status(available: int) -> str:
    """``in_stock``, ``low_stock`` (at most ``LOW_STOCK_THRESHOLD`` left) or ``out_of_stock``."""
    if available <= 0:
        return "out_of_stock"
    if available <= LOW_STOCK_THRESHOLD:
        return "low_stock"
    return "in_stock"
