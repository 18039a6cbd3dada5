"""The public, read-only catalog API: categories, listed goods and one product."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from mall.paging import CappedPaginator

from .. import search as catalog_search
from .. import selectors
from ..models import SKU, Product
from ..selectors import product_reviews as review_selectors
from .filters import ProductListParams
from .serializers import (
    CategorySerializer,
    ProductDetailSerializer,
    ProductListSerializer,
    SkuPriceSerializer,
)


@extend_schema(tags=["catalog"])
class CategoryList(generics.ListAPIView):
    """Every category shown on the storefront, parents before their children."""

    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.category_tree().visible()


class CappedPagination(PageNumberPagination):
    """Pages whose ``count`` stops at 1,000 (the first thousand goods can be paged
    through; narrow the filters for others): the same cost whatever the catalog's size."""

    django_paginator_class = CappedPaginator


@extend_schema(tags=["catalog"])
class ProductList(generics.ListAPIView):
    """Listed goods, filtered, searched, sorted and paginated; prices are the current
    prices of the SKUs on sale (``price_min`` to ``price_max``). ``count`` stops at 1,001
    (more than a thousand)."""

    permission_classes = [AllowAny]
    serializer_class = ProductListSerializer
    pagination_class = CappedPagination

    @extend_schema(parameters=[ProductListParams])
    def get(self, request, *args, **kwargs):
        params = ProductListParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query, arguments = params.selector_arguments()
        if not query:
            return super().get(request, *args, **kwargs)
        # A search: the backend gives one page of ids and the capped count.
        size = self.paginator.page_size
        wanted = request.query_params.get("page", "1")
        number = int(wanted) if wanted.isdigit() and 0 < len(wanted) < 6 else 1
        result = catalog_search.search(query, offset=(number - 1) * size, limit=size, **arguments)
        goods = selectors.products_by_ids(result.ids)
        data = self.get_serializer(goods, many=True).data
        more = min(result.total, catalog_search.COUNT_CAP) > number * size
        base = request.build_absolute_uri()
        return Response(
            {
                "count": min(result.total, catalog_search.COUNT_CAP),
                "next": replace_query_param(base, "page", number + 1) if more else None,
                "previous": replace_query_param(base, "page", number - 1) if number > 1 else None,
                "results": data,
            }
        )

    def get_queryset(self):
        # A plain dict, not the QueryDict: DRF reads an empty optional value of a QueryDict
        # as "not given" (HTML forms' way), and the schema refuses ``ordering=``.
        params = ProductListParams(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        _query, arguments = params.selector_arguments()
        if arguments["sort"] == selectors.RELEVANCE:
            arguments["sort"] = selectors.DEFAULT_SORT
        return selectors.listed_products(**arguments)


@extend_schema(tags=["catalog"])
class ProductDetail(generics.RetrieveAPIView):
    """One listed product with its SKUs on sale (current price and availability), images,
    attributes, product information and after-sales terms. Goods not listed: 404."""

    permission_classes = [AllowAny]
    serializer_class = ProductDetailSerializer
    queryset = Product.objects.filter(status=Product.Status.LISTED)  # for the schema

    def get_object(self):
        try:
            product = selectors.product_detail(self.kwargs["pk"])
        except Product.DoesNotExist:
            raise NotFound() from None
        self.extra_context = {
            "lineage": selectors.category_tree().lineage(product.category),
            "specifications": selectors.product_specifications(product),
            "information": selectors.product_information(product),
            "rating": review_selectors.rating_summary(product.pk),
        }
        return product

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **getattr(self, "extra_context", {})}


@extend_schema(tags=["catalog"], responses=SkuPriceSerializer)
class SkuPriceView(APIView):
    """The current price of one SKU on sale: amount, honest "was" price (only when the
    reference-price rule holds), since when it applies, and until when: the time of the
    next announced (approved) change, or null while no change is announced."""

    permission_classes = [AllowAny]

    def get(self, request, pk):
        try:
            sku = selectors.sku_price(pk)
        except SKU.DoesNotExist:
            raise NotFound() from None
        upcoming = sku.upcoming_prices[0] if sku.upcoming_prices else None
        sku.currency = settings.MALL_CURRENCY
        sku.valid_until = upcoming.effective_at if upcoming else None
        sku.next_change = upcoming
        return Response(SkuPriceSerializer(sku).data)
