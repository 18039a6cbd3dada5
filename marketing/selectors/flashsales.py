"""Reads of flash sales: the ones live and coming for the storefront and the API, one sale
for a buy attempt (kept briefly in this process, for the crowd), a SKU's sale."""

import copy
import time

from django.conf import settings
from django.utils import timezone

from catalog.models import Product

from ..models import FlashSale

# --- Reading sales ---------------------------------------------------------------------------


def current_sales(*, now=None):
    """Sales live or upcoming, of listed goods, soonest first, with SKU and product joined:
    one query. For the storefront and the API."""
    now = now or timezone.now()
    return (
        FlashSale.objects.filter(ends_at__gt=now, sku__product__status=Product.Status.LISTED)
        .select_related("sku__product")
        .order_by("starts_at", "pk")
    )


def public_sales():
    """Every sale of listed goods (ended ones too), SKU and product joined."""
    return FlashSale.objects.filter(sku__product__status=Product.Status.LISTED).select_related(
        "sku__product"
    )


_sales_to_buy: dict[int, tuple[float, FlashSale]] = {}


def sale_to_buy(pk) -> FlashSale:
    """The sale ``pk`` of listed goods, for a buy attempt, kept in this process for
    ``MALL_FLASH_SALE_CACHE_SECONDS``: a crowd asks for it with every attempt, and the
    database step checks the times and the units again, so a sale ended (or goods
    delisted) a moment ago only costs a refused database step. Raises
    ``FlashSale.DoesNotExist``."""
    pk = int(pk)
    kept = _sales_to_buy.get(pk)
    if kept is None or kept[0] < time.monotonic():
        sale = FlashSale.objects.filter(sku__product__status=Product.Status.LISTED).get(pk=pk)
        if len(_sales_to_buy) > 1000:  # old sales are not asked for again
            _sales_to_buy.clear()
        kept = _sales_to_buy[pk] = (time.monotonic() + settings.MALL_FLASH_SALE_CACHE_SECONDS, sale)
    return copy.copy(kept[1])  # each attempt its own instance to refresh or change


def sale_for_sku(sku, *, now=None) -> FlashSale | None:
    """The live sale of ``sku``, else its next upcoming one, else ``None``: one query."""
    now = now or timezone.now()
    return FlashSale.objects.filter(sku=sku, ends_at__gt=now).order_by("starts_at", "pk").first()
