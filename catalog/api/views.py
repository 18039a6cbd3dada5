"""The public, read-only catalog API: categories, listed goods and one product."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

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


@extend_schema(tags=["catalog"])
class ProductList(generics.ListAPIView):
    """Listed goods, filtered, searched, sorted and paginated; prices are the current
    prices of the SKUs on sale (``price_min`` to ``price_max``)."""

    permission_classes = [AllowAny]
    serializer_class = ProductListSerializer

    @extend_schema(parameters=[ProductListParams])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # A plain dict, not the QueryDict: DRF reads an empty optional value of a QueryDict
        # as "not given" (HTML forms' way), and the schema refuses ``ordering=``.
        params = ProductListParams(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        query, arguments = params.selector_arguments()
        if query:
            return selectors.search_products(query, **arguments)
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
