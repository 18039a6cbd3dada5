"""Storefront pages for goods: home, category listings, search, the product page and its
reviews.

Views read through ``catalog.selectors`` only; each runs a fixed number of queries
whatever the number of goods. Bad filter input never fails a page: the filters that
validate apply, the others are dropped and named in a notice.
"""

from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import CategoryAttribute, Product
from .selectors import product_reviews as review_selectors
from .services.admission import attribute_schema

PAGE_SIZE = 24
MAX_QUERY_LENGTH = 100
# The product page shows the newest few reviews; /product/<id>/reviews/ pages through all.
PRODUCT_PAGE_REVIEWS = 3
REVIEWS_PAGE_SIZE = 10

SORT_CHOICES = [
    ("newest", _("Newest")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
    ("name", _("Name")),
]
SEARCH_SORT_CHOICES = [(selectors.RELEVANCE, _("Best match")), *SORT_CHOICES]


class ListingFilterForm(forms.Form):
    """The filters and sort order of a list of goods, from the query string.

    Attribute filters come from the category's filterable attributes: choices as
    checkboxes (``a_<code>``), numbers as a range (``a_<code>_min`` / ``a_<code>_max``),
    yes/no as one checkbox. Text attributes are not offered as filters.
    """

    price_min = forms.DecimalField(
        label=_("Lowest price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Highest price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, data, *, attributes=(), sort_choices=SORT_CHOICES):
        super().__init__(data)
        self.fields["sort"].choices = sort_choices
        self.default_sort = sort_choices[0][0]
        # (attribute, [field names]) for the template and for ``filters()``
        self.attribute_filters: list[tuple[CategoryAttribute, list[str]]] = []
        kind = CategoryAttribute.Kind
        for attribute in attributes:
            name = f"a_{attribute.code}"
            if attribute.kind == kind.CHOICE and attribute.choices:
                self.fields[name] = forms.MultipleChoiceField(
                    label=attribute.name,
                    required=False,
                    choices=[(choice, choice) for choice in attribute.choices],
                    widget=forms.CheckboxSelectMultiple,
                )
                self.attribute_filters.append((attribute, [name]))
            elif attribute.kind == kind.NUMBER:
                for end, label in (("min", _("from")), ("max", _("to"))):
                    self.fields[f"{name}_{end}"] = forms.DecimalField(
                        label=f"{attribute.name} ({label})",
                        required=False,
                        max_digits=20,
                        decimal_places=6,
                    )
                self.attribute_filters.append((attribute, [f"{name}_min", f"{name}_max"]))
            elif attribute.kind == kind.BOOLEAN:
                self.fields[name] = forms.BooleanField(label=attribute.name, required=False)
                self.attribute_filters.append((attribute, [name]))

    def attribute_groups(self):
        """(attribute name, [bound fields]) per attribute filter, for the template."""
        return [
            (attribute.name, [self[name] for name in names])
            for attribute, names in self.attribute_filters
        ]

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price is below the lowest price."))
        return data

    def filters(self) -> dict:
        """Keyword arguments for ``listed_products`` from the valid fields only."""
        self.is_valid()  # fills cleaned_data with the fields that validate
        data = self.cleaned_data
        attributes = {}
        for attribute, names in self.attribute_filters:
            if attribute.kind == CategoryAttribute.Kind.NUMBER:
                wanted = selectors.NumberRange(data.get(names[0]), data.get(names[1]))
                if wanted != selectors.NumberRange():
                    attributes[attribute.code] = wanted
            elif attribute.kind == CategoryAttribute.Kind.BOOLEAN:
                if data.get(names[0]):
                    attributes[attribute.code] = True
            elif data.get(names[0]):
                attributes[attribute.code] = data[names[0]]
        return {
            "price_min": data.get("price_min"),
            "price_max": data.get("price_max"),
            "in_stock": bool(data.get("in_stock")),
            "attributes": attributes,
            "sort": data.get("sort") or self.default_sort,
        }

    def problems(self) -> list[str]:
        """One line per ignored filter, for the notice above the goods."""
        problems = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            problems += [f"{label}: {error}" if label else str(error) for error in errors]
        return problems


def _page(request, queryset) -> Page:
    # get_page: a non-numeric page gives the first, one past the end the last; never a 500.
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def home(request):
    tree = selectors.category_tree()
    context = {
        "categories": tree.roots(),
        "featured": selectors.featured_products(),
        "newest": selectors.newest_products(),
    }
    return render(request, "storefront/home.html", context)


def category(request, slug):
    tree = selectors.category_tree()
    category = tree.visible_by_slug(slug)
    if category is None:
        raise Http404
    filterable = [a for a in attribute_schema(category) if a.filterable]
    form = ListingFilterForm(request.GET, attributes=filterable)
    filters = form.filters()
    goods = selectors.listed_products(category=category, tree=tree, **filters)
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


def search(request):
    # A NUL byte cannot go into a PostgreSQL text parameter: drop control characters.
    query = "".join(c for c in request.GET.get("q", "") if c.isprintable() or c == " ")
    query = query.strip()[:MAX_QUERY_LENGTH]
    form = ListingFilterForm(request.GET, sort_choices=SEARCH_SORT_CHOICES)
    filters = form.filters()
    filters.pop("attributes")
    context = {"query": query, "form": form, "sort": filters["sort"]}
    if query:
        goods = selectors.search_products(query, **filters)
        context.update(page_obj=_page(request, goods), problems=form.problems())
    return render(request, "storefront/search.html", context)


def _display(value) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def _pick(objects, wanted: str | None):
    """The object whose pk is ``wanted`` (a query-string value), else ``None``."""
    return next((o for o in objects if str(o.pk) == (wanted or "").strip()), None)


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
