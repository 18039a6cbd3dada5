"""Listings: the goods of a category or a search, filtered by price, stock and the
category's attributes, sorted, with their price range, availability and thumbnail
annotated in the same query; and the home page's featured and newest goods."""

import re
from decimal import Decimal
from typing import NamedTuple

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Case, DecimalField, F, Func, Max, Min, QuerySet, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Regex
from django.utils import timezone

from catalog.models import Category, Product
from catalog.selectors.categories import CategoryTree, category_tree
from catalog.selectors.prices import _product_available, _product_price, _product_thumb

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

MAX_SEARCH_TERMS = 5


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
    """Listed goods, annotated with ``price_min``, ``price_max``, ``available`` and
    ``thumb``, with ``category`` joined.

    ``category`` includes its visible subcategories (``tree`` saves loading the tree
    again when the caller has it). The price range applies to ``price_min`` (the "from"
    price a card shows). ``sort`` is a key of ``SORTS``; an unknown key sorts by newest.
    """
    now = now or timezone.now()
    queryset = (
        Product.objects.filter(status=Product.Status.LISTED)
        .select_related("category")
        .annotate(
            price_min=_product_price(Min, now),
            price_max=_product_price(Max, now),
            available=_product_available(),
            thumb=_product_thumb(),
        )
    )
    if category is not None:
        tree = tree or category_tree()
        queryset = queryset.filter(category_id__in=sorted(tree.descendant_ids(category)))
    if price_min is not None:
        queryset = queryset.filter(price_min__gte=price_min)
    if price_max is not None:
        queryset = queryset.filter(price_min__lte=price_max)
    if in_stock:
        queryset = queryset.filter(available__gt=0)
    if attributes:
        queryset = _filter_attributes(queryset, attributes)
    return queryset.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def search_terms(query: str) -> list[str]:
    """The lower-cased words of a query (Chinese runs of characters count as one word)."""
    return query.lower().split()[:MAX_SEARCH_TERMS]


def search_products(query: str, *, sort: str = RELEVANCE, **filters) -> QuerySet[Product]:
    """Listed goods whose name, subtitle, brand, origin or attribute values contain every
    word of ``query`` as a substring (Chinese has no spaces, so "绿茶" must find
    "有机高山绿茶礼盒"), best matches first.

    ``search_text`` is stored lower-cased, so a case-sensitive ``LIKE '%word%'`` on the
    lower-cased word is a case-insensitive match that the trigram GIN index serves for
    words of three or more characters (shorter ones scan, still correctly). Relevance is
    the trigram similarity of the whole query. ``filters`` are those of
    ``listed_products``; an empty query finds nothing.
    """
    terms = search_terms(query)
    if not terms:
        return Product.objects.none()
    by_relevance = sort not in SORTS
    queryset = listed_products(sort=DEFAULT_SORT if by_relevance else sort, **filters)
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    if by_relevance:
        similarity = TrigramSimilarity("search_text", " ".join(terms))
        queryset = queryset.annotate(relevance=similarity).order_by(
            F("relevance").desc(), *SORTS[DEFAULT_SORT]
        )
    return queryset


def featured_products(*, limit: int = 12) -> QuerySet[Product]:
    return listed_products().filter(featured=True)[:limit]


def newest_products(*, limit: int = 12) -> QuerySet[Product]:
    return listed_products(sort="newest")[:limit]
