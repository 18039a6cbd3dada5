"""Listings: the goods of a category or a search, filtered by price, stock and the
category's attributes, sorted, with their price range, availability and thumbnail
annotated in the same query; and the home page's featured and newest goods."""

import re
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Regex
from django.utils import timezone

from catalog.models import Category, Product, ProductReview, StockMovement
from catalog.selectors.categories import CategoryTree, category_tree
from catalog.selectors.prices import _product_available, _product_thumb
from catalog.services.price_ranges import live_offer_price, products_offered_between

SORTS = {
    # listed_at is set when goods are listed; plain DESC matches a (status, -listed_at) index.
    "newest": (F("listed_at").desc(), F("pk").desc()),
    "price": (F("price_min").asc(nulls_last=True), F("pk").desc()),
    "-price": (F("price_max").desc(nulls_last=True), F("pk").desc()),
    "name": (F("name").asc(), F("pk").asc()),
}
DEFAULT_SORT = "newest"
# Search results are sorted by relevance unless the shopper picks another order.
RELEVANCE = "relevance"

MAX_SEARCH_TERMS = 8


class NumberRange(NamedTuple):
    """A range filter on a number attribute; either end may be open (``None``)."""

    low: Decimal | None = None
    high: Decimal | None = None


# --- Listings ----------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$")


class _Numeric(Func):
    """``(expr)::numeric``: an unbounded numeric, so no value can overflow the cast."""

    template = "(%(expressions)s)::numeric"
    output_field = DecimalField()


def _filter_attributes(queryset: QuerySet, attributes: dict) -> QuerySet:
    """Filter on ``Product.attributes`` values. ``attributes`` maps a code to a list of
    accepted values (choice and text attributes), a ``NumberRange`` or a ``bool``."""
    for index, (code, wanted) in enumerate(sorted(attributes.items())):
        text = KeyTextTransform(code, "attributes")
        alias = f"_attribute_{index}"
        if isinstance(wanted, bool):
            queryset = queryset.alias(**{alias: text}).filter(
                **{alias: "true" if wanted else "false"}
            )
        elif isinstance(wanted, NumberRange):
            # Only values that look like numbers are cast; CASE keeps the cast from ever
            # seeing text (a supplier's "about 5"), which would fail the whole query.
            number = Case(
                When(Regex(text, _NUMBER.pattern), then=_Numeric(text)),
                default=None,
                output_field=DecimalField(),
            )
            queryset = queryset.alias(**{alias: number})
            if wanted.low is not None:
                queryset = queryset.filter(**{f"{alias}__gte": wanted.low})
            if wanted.high is not None:
                queryset = queryset.filter(**{f"{alias}__lte": wanted.high})
        elif wanted:
            values = [str(value) for value in wanted]
            queryset = queryset.alias(**{alias: text}).filter(**{f"{alias}__in": values})
    return queryset


def _rating_of_product(aggregate) -> Subquery:
    visible = ProductReview.objects.filter(
        product=OuterRef("pk"), status=ProductReview.Status.VISIBLE
    ).order_by()
    return Subquery(visible.values("product").annotate(figure=aggregate).values("figure")[:1])


def _units_sold_of_product() -> Coalesce:
    """Units sold of all the product's SKUs: SALE movements less RETURN movements (the
    stock ledger's own words, so catalog needs nothing from orders)."""
    moved = (
        StockMovement.objects.filter(
            stock__sku__product=OuterRef("pk"),
            kind__in=(StockMovement.Kind.SALE, StockMovement.Kind.RETURN),
        )
        .order_by()
        .values("stock__sku__product")
        .annotate(total=-Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(moved, output_field=IntegerField()), Value(0))


def listed_products(
    *,
    category: Category | None = None,
    tree: CategoryTree | None = None,
    price_min: Decimal | None = None,
    price_max: Decimal | None = None,
    in_stock: bool = False,
    attributes: dict | None = None,
    sort: str = DEFAULT_SORT,
    now=None,
) -> QuerySet[Product]:
    """Listed goods, with ``category`` joined and annotated with ``offer_price`` (the
    lowest live offer, such as a flash price, or ``None``), ``available``, ``thumb``,
    ``rating_average`` (of visible reviews, ``None`` without any), ``rating_count`` and
    ``units_sold`` (for the cards).

    ``price_min`` / ``price_max`` are the stored current price range (see
    ``catalog.services.price_ranges``). ``category`` includes its visible subcategories
    (``tree`` saves loading the tree again when the caller has it). The price filter
    applies to the "from" price a card shows: the lowest regular price, or a live offer.
    ``sort`` is a key of ``SORTS``; an unknown key sorts by newest. The filters and sorts
    are served by indexes; the annotations are computed for the rows fetched only.
    """
    now = now or timezone.now()
    queryset = (
        Product.objects.filter(status=Product.Status.LISTED)
        .select_related("category")
        .annotate(
            offer_price=live_offer_price(now),
            available=_product_available(),
            thumb=_product_thumb(),
            rating_average=_rating_of_product(Avg("rating")),
            rating_count=Coalesce(_rating_of_product(Count("pk")), Value(0)),
            units_sold=_units_sold_of_product(),
        )
    )
    if category is not None:
        tree = tree or category_tree()
        queryset = queryset.filter(category_id__in=sorted(tree.descendant_ids(category)))
    if price_min is not None or price_max is not None:
        regular = Q()
        if price_min is not None:
            regular &= Q(price_min__gte=price_min)
        if price_max is not None:
            regular &= Q(price_min__lte=price_max)
        offered = Q(pk__in=products_offered_between(price_min, price_max, now))
        queryset = queryset.filter(regular | offered)
    if in_stock:
        queryset = queryset.filter(available__gt=0)
    if attributes:
        queryset = _filter_attributes(queryset, attributes)
    return queryset.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def products_by_ids(ids: list[int], *, now=None) -> list[Product]:
    """Listed goods with ``ids``, annotated like ``listed_products``, in the order of
    ``ids`` (a search's page): one query."""
    if not ids:
        return []
    found = {p.pk: p for p in listed_products(now=now).filter(pk__in=ids).order_by()}
    return [found[pk] for pk in ids if pk in found]


def featured_products(*, limit: int = 12) -> QuerySet[Product]:
    return listed_products().filter(featured=True)[:limit]


def newest_products(*, limit: int = 12) -> QuerySet[Product]:
    return listed_products(sort="newest")[:limit]
