"""One product for its page (SKUs with their current and honest "was" prices, stock,
images, specifications), and the SKUs of an order with their prices."""

from typing import NamedTuple

from django.db.models import DateTimeField, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from catalog.models import PRODUCT_INFO_FIELDS, SKU, PriceChange, Product, ProductImage
from catalog.selectors.categories import category_attributes
from catalog.selectors.prices import (
    _MONEY,
    _lowest_price_before_current,
    _price_row,
    _product_thumb_of_sku,
    _sku_available,
    _sku_price,
    with_honest_was_prices,
)

# --- One product -------------------------------------------------------------------------


def _next_change(now, field: str, output_field) -> Subquery:
    upcoming = PriceChange.objects.filter(
        sku=OuterRef("pk"), status=PriceChange.Status.SCHEDULED, effective_at__gt=now
    ).order_by("effective_at", "pk")
    return Subquery(upcoming.values(field)[:1], output_field=output_field)


def _priced_skus(now) -> QuerySet:
    """SKUs on sale with their current price, its "was" price and start, the lowest
    earlier price (for the honest-price check), availability and the next announced
    change (in the same query: the page shows only the soonest)."""
    return (
        SKU.objects.filter(is_active=True)
        .annotate(
            price=_sku_price(now),
            price_reference=_price_row(now, "reference_amount", _MONEY),
            price_from=_price_row(now, "valid_from", DateTimeField()),
            available=_sku_available(),
            next_change_amount=_next_change(now, "amount", _MONEY),
            next_change_at=_next_change(now, "effective_at", DateTimeField()),
        )
        .annotate(price_lowest_before=_lowest_price_before_current())
        .order_by("position", "pk")
    )


def _with_upcoming(skus) -> None:
    """``upcoming_prices``: the next announced change (a list of at most one)."""
    for sku in skus:
        sku.upcoming_prices = (
            [PriceChange(sku=sku, amount=sku.next_change_amount, effective_at=sku.next_change_at)]
            if sku.next_change_at is not None
            else []
        )


def skus_to_order(sku_ids, *, now=None) -> dict[int, SKU]:
    """The SKUs an order or a cart is about, by id, in one query: each with ``price``
    (current, or ``None``), ``available`` units, ``on_sale`` (active SKU of a listed
    product) and ``thumb`` (the product's first small picture), product joined."""
    now = now or timezone.now()
    skus = (
        SKU.objects.filter(pk__in=list(sku_ids))
        .select_related("product")
        .annotate(
            price=_sku_price(now),
            available=_sku_available(),
            thumb=_product_thumb_of_sku(),
        )
    )
    found = {}
    for sku in skus:
        sku.on_sale = sku.is_active and sku.product.status == Product.Status.LISTED
        found[sku.pk] = sku
    return found


def sku_price(pk: int, *, now=None) -> SKU:
    """One SKU on sale of a listed product, priced as on the product page (two queries),
    with ``was_price`` and ``upcoming_prices``. Raises ``SKU.DoesNotExist`` otherwise,
    or when it has no price in force."""
    now = now or timezone.now()
    sku = _priced_skus(now).get(pk=pk, product__status=Product.Status.LISTED, price__isnull=False)
    _with_upcoming([sku])
    with_honest_was_prices([sku])
    return sku


def product_detail(pk: int, *, now=None) -> Product:
    """A listed product with its category and supplier, its SKUs on sale as
    ``skus_on_sale`` and its images as ``gallery``: three queries.

    Each SKU carries ``price`` and ``available``, ``was_price`` (an honest crossed-out
    price, or ``None``) and ``upcoming_prices`` (approved changes not yet in force, for
    the public notice), soonest first.

    Raises ``Product.DoesNotExist`` unless the product exists and is listed.
    """
    now = now or timezone.now()
    skus = _priced_skus(now)
    images = ProductImage.objects.order_by("position", "pk")
    product = (
        Product.objects.filter(status=Product.Status.LISTED)
        .select_related("category", "supplier")
        .prefetch_related(
            Prefetch("skus", queryset=skus, to_attr="skus_on_sale"),
            Prefetch("images", queryset=images, to_attr="gallery"),
        )
        .get(pk=pk)
    )
    _with_upcoming(product.skus_on_sale)
    with_honest_was_prices(product.skus_on_sale)
    return product


class Specification(NamedTuple):
    code: str
    name: str
    value: object


def product_specifications(product: Product) -> list[Specification]:
    """The product's attribute values named by its category's schema, in schema order
    (two queries). Values the schema does not know are left out."""
    return [
        Specification(attribute.code, attribute.name, product.attributes[attribute.code])
        for attribute in category_attributes(product.category)
        if product.attributes.get(attribute.code) not in (None, "")
    ]


def product_information(product: Product) -> list[Specification]:
    """The product information that is filled in, labelled, in ``PRODUCT_INFO_FIELDS``
    order (no query)."""
    return [
        Specification(code, str(label), product.info[code])
        for code, label in PRODUCT_INFO_FIELDS.items()
        if str(product.info.get(code, "")).strip()
    ]
