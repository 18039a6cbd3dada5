"""Storefront pages for goods: home, category listings, search, the product page and its
reviews.

Views read through ``catalog.selectors`` only; each runs a fixed number of queries
whatever the number of goods. Bad filter input never fails a page: the filters that
validate apply, the others are dropped and named in a notice.
"""

import math

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from catalog import search as catalog_search
from catalog import selectors
from catalog.forms.listing import SEARCH_SORT_CHOICES, ListingFilterForm
from catalog.models import Product
from catalog.selectors import product_reviews as review_selectors
from catalog.services.pages import LISTINGS, product_key
from mall.dbrouting import replica_reads
from mall.pagecache import cached_page
from mall.paging import CappedPaginator
from mall.tracking import record_event

PAGE_SIZE = 24
MAX_QUERY_LENGTH = 100
# The product page shows the newest few reviews; /product/<id>/reviews/ pages through all.
PRODUCT_PAGE_REVIEWS = 3
REVIEWS_PAGE_SIZE = 10


def _page(request, queryset) -> Page:
    # get_page: a non-numeric page gives the first, one past the end the last; never a 500.
    return CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _listings(request, *args, **kwargs):
    return [LISTINGS]


@replica_reads
@cached_page(_listings)
def home(request):
    tree = selectors.category_tree()
    context = {
        "categories": tree.roots(),
        "featured": selectors.featured_products(),
        "newest": selectors.newest_products(),
    }
    return render(request, "storefront/home.html", context)


@replica_reads
@cached_page(_listings)
def category(request, slug):
    tree = selectors.category_tree()
    category = tree.visible_by_slug(slug)
    if category is None:
        raise Http404
    filterable = [a for a in selectors.category_attributes(category) if a.filterable]
    form = ListingFilterForm(request.GET, attributes=filterable)
    filters = form.filters()
    goods = selectors.listed_products(category=category, tree=tree, **filters)
    record_event("category_view", category=category.pk)
    context = {
        "sort": filters["sort"],
        "category": category,
        "lineage": tree.lineage(category),
        "subcategories": tree.children(category),
        "form": form,
        "problems": form.problems(),
        "page_obj": _page(request, goods),
    }
    return render(request, "catalog/category.html", context)


def _query(request) -> str:
    # A NUL byte cannot go into a PostgreSQL text parameter: drop control characters.
    query = "".join(c for c in request.GET.get("q", "") if c.isprintable() or c == " ")
    return query.strip()[:MAX_QUERY_LENGTH]


def _page_number(request) -> int:
    wanted = (request.GET.get("page") or "").strip()
    return int(wanted) if wanted.isdigit() and 0 < len(wanted) < 6 and int(wanted) > 0 else 1


def search_page(request, query: str, filters: dict) -> tuple[Page, catalog_search.SearchResult]:
    """One page of search results (the last one for a page past the end): the goods in
    relevance (or the chosen) order, and what the search did."""
    number = _page_number(request)
    result = catalog_search.search(
        query, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, **filters
    )
    pages = max(1, math.ceil(min(result.total, catalog_search.COUNT_CAP) / PAGE_SIZE))
    if result.total and not result.ids and number > pages:
        number = pages
        result = catalog_search.search(
            query, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, **filters
        )
    goods = selectors.products_by_ids(result.ids)
    paginator = CappedPaginator(goods, PAGE_SIZE, total=result.total)
    return Page(goods, min(number, pages), paginator), result


@replica_reads
@cached_page(_listings)
def search(request):
    query = _query(request)
    form = ListingFilterForm(request.GET, sort_choices=SEARCH_SORT_CHOICES)
    filters = form.filters()
    filters.pop("attributes")
    context = {"query": query, "form": form, "sort": filters["sort"]}
    if query:
        page_obj, result = search_page(request, query, filters)
        context.update(page_obj=page_obj, result=result, problems=form.problems())
        record_event("search", term=query, results=page_obj.paginator.count)
    return render(request, "storefront/search.html", context)


@replica_reads
@cached_page(_listings)
def suggest(request):
    """Autosuggest: words of the goods beginning with what was typed (characters,
    pinyin or initials), as JSON for the search box."""
    return JsonResponse({"suggestions": catalog_search.suggest(request.GET.get("q", ""))})


def _display(value) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def _pick(objects, wanted: str | None):
    """The object whose pk is ``wanted`` (a query-string value), else ``None``."""
    return next((o for o in objects if str(o.pk) == (wanted or "").strip()), None)


def _product_versions(request, pk, *args, **kwargs):
    return [LISTINGS, product_key(pk)]


@replica_reads
@cached_page(_product_versions)
def product(request, pk):
    try:
        product = selectors.product_detail(pk)
    except Product.DoesNotExist:
        raise Http404 from None
    tree = selectors.category_tree()
    skus = product.skus_on_sale
    # The SKU asked for, else the first one that can be bought, else the first.
    sku = _pick(skus, request.GET.get("sku"))
    sku = sku or next((s for s in skus if s.available > 0 and s.price), skus[0] if skus else None)
    images = product.gallery
    image = _pick(images, request.GET.get("image")) or (images[0] if images else None)
    specifications = [
        (spec.name, _display(spec.value)) for spec in selectors.product_specifications(product)
    ]
    information = [(spec.name, spec.value) for spec in selectors.product_information(product)]
    record_event("product_view", product=product.pk, category=product.category_id)
    context = {
        "product": product,
        "lineage": tree.lineage(product.category),
        "skus": skus,
        "sku": sku,
        "images": images,
        "image": image,
        "specifications": specifications,
        "information": information,
        "low_stock_threshold": selectors.LOW_STOCK_THRESHOLD,
        # Two queries, however many reviews and photos: the summary, the newest reviews.
        "rating": review_selectors.rating_summary(product.pk),
        "reviews": list(review_selectors.visible_reviews(product.pk)[:PRODUCT_PAGE_REVIEWS]),
        # 买了又买: two queries whatever the slot's size; empty without a source.
        "bought_together": selectors.recommended_products(
            selectors.BOUGHT_TOGETHER,
            product_id=product.pk,
            limit=settings.MALL_RECOMMENDATION_SLOT_SIZE,
        ),
    }
    return render(request, "catalog/product.html", context)


def product_reviews(request, pk):
    """All visible reviews of a listed product, newest first, ten a page, optionally only
    those with ``?rating=`` stars (anything else shows all): four queries."""
    product = Product.objects.filter(status=Product.Status.LISTED, pk=pk).only("pk", "name").first()
    if product is None:
        raise Http404
    wanted = (request.GET.get("rating") or "").strip()
    rating = int(wanted) if wanted in {"1", "2", "3", "4", "5"} else None
    reviews = review_selectors.visible_reviews(product.pk, rating=rating)
    context = {
        "product": product,
        "rating": review_selectors.rating_summary(product.pk),
        "rating_filter": rating,
        "page_obj": Paginator(reviews, REVIEWS_PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "catalog/reviews.html", context)
