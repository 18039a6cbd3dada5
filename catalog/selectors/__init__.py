"""Read queries of the catalog for the storefront pages and the public API.

Only listed goods reach a shopper. Prices and availability are computed in SQL, in the
query that fetches the goods (never per row in Python), so every page and API list runs
a fixed number of queries whatever the number of goods:

- ``price_min`` / ``price_max``: the current ``SkuPrice`` over the SKUs on sale;
- ``available``: ``on_hand - reserved`` summed over the stock of the SKUs on sale (0 if none);
- ``thumb``: the storage path of the first image's small thumbnail (or ``None``).
"""

import datetime
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import (
    Case,
    DateTimeField,
    DecimalField,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Regex
from django.utils import timezone

from ..models import (
    PRODUCT_INFO_FIELDS,
    SKU,
    Category,
    PriceChange,
    Product,
    ProductImage,
    SkuPrice,
    Stock,
)
from ..services import pricing
from ..services.admission import attribute_schema, lineage_in

logger = logging.getLogger("catalog.pricing")

# At or below this many units a page says "Only N left".
LOW_STOCK_THRESHOLD = 5

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
_MONEY = DecimalField(max_digits=12, decimal_places=2)


class NumberRange(NamedTuple):
    """A range filter on a number attribute; either end may be open (``None``)."""

    low: Decimal | None = None
    high: Decimal | None = None


# --- Categories --------------------------------------------------------------------------


@dataclass
class CategoryTree:
    """Every category, loaded in one query; walks the tree in Python (categories are few).

    A category is *visible* when it and all its ancestors are shown on the storefront.
    """

    by_id: dict[int, Category]
    children_of: dict[int | None, list[Category]] = field(default_factory=dict)

    def __post_init__(self):
        for category in self.by_id.values():  # already in (position, name) order
            self.children_of.setdefault(category.parent_id, []).append(category)

    def lineage(self, category: Category) -> list[Category]:
        """Root first, ending with ``category``."""
        if category.pk not in self.by_id:
            return []
        return lineage_in(self.by_id, category)[::-1]

    def is_visible(self, category: Category) -> bool:
        lineage = self.lineage(category)
        return bool(lineage) and all(c.is_active for c in lineage)

    def children(self, category: Category | None) -> list[Category]:
        """The visible children of ``category`` (of the root when ``None``)."""
        parent_id = category.pk if category is not None else None
        return [c for c in self.children_of.get(parent_id, []) if c.is_active]

    def roots(self) -> list[Category]:
        """Visible top-level categories, each with ``subcategories`` set to its children."""
        roots = self.children(None)
        for root in roots:
            root.subcategories = self.children(root)
        return roots

    def visible_by_slug(self, slug: str) -> Category | None:
        category = next((c for c in self.by_id.values() if c.slug == slug), None)
        return category if category is not None and self.is_visible(category) else None

    def descendant_ids(self, category: Category) -> set[int]:
        """``category`` and its visible subcategories at any depth."""
        ids, pending = set(), [category]
        while pending:
            current = pending.pop()
            if current.pk in ids:
                continue
            ids.add(current.pk)
            pending.extend(self.children(current))
        return ids

    def visible(self) -> list[Category]:
        """Every visible category, depth first in display order (parents before children)."""
        ordered, pending = [], list(reversed(self.children(None)))
        while pending:
            current = pending.pop()
            ordered.append(current)
            pending.extend(reversed(self.children(current)))
        return ordered


def category_tree() -> CategoryTree:
    """The category tree: one query."""
    return CategoryTree(by_id={c.pk: c for c in Category.objects.order_by("position", "name")})


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


# --- One product -------------------------------------------------------------------------


def _priced_skus(now) -> QuerySet:
    """SKUs on sale with their current price, its "was" price and start, the lowest
    earlier price (for the honest-price check), availability and announced changes."""
    upcoming = PriceChange.objects.filter(
        status=PriceChange.Status.SCHEDULED, effective_at__gt=now
    ).order_by("effective_at", "pk")
    return (
        SKU.objects.filter(is_active=True)
        .annotate(
            price=_sku_price(now),
            price_reference=_price_row(now, "reference_amount", _MONEY),
            price_from=_price_row(now, "valid_from", DateTimeField()),
            available=_sku_available(),
        )
        .annotate(price_lowest_before=_lowest_price_before_current())
        .prefetch_related(Prefetch("price_changes", queryset=upcoming, to_attr="upcoming_prices"))
        .order_by("position", "pk")
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
    with_honest_was_prices([sku])
    return sku


def product_detail(pk: int, *, now=None) -> Product:
    """A listed product with its category and supplier, its SKUs on sale as
    ``skus_on_sale`` and its images as ``gallery``: four queries.

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
        for attribute in attribute_schema(product.category)
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
