"""Read-only representations of categories and listed goods."""

from decimal import Decimal

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors
from ..models import SKU, Category, Product, ProductImage

STOCK_STATUSES = ["in_stock", "low_stock", "out_of_stock"]


def _absolute(request, path) -> str | None:
    if not path:
        return None
    url = default_storage.url(str(path))
    return request.build_absolute_uri(url) if request is not None else url


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "name_en", "parent", "position"]
        read_only_fields = fields


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "slug", "name", "name_en"]
        read_only_fields = fields


class ProductListSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    price_min = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, read_only=True
    )
    price_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, read_only=True
    )
    in_stock = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "subtitle",
            "brand",
            "category",
            "price_min",
            "price_max",
            "in_stock",
            "thumbnail",
            "listed_at",
        ]
        read_only_fields = fields

    def get_in_stock(self, product) -> bool:
        return product.available > 0

    def get_thumbnail(self, product) -> str | None:
        """URL of the first image's 320 px thumbnail."""
        return _absolute(self.context.get("request"), product.thumb)


class SkuSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, read_only=True
    )
    was_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        default=None,
        help_text="Crossed-out reference price; only when the honest-price rule holds.",
    )
    available = serializers.IntegerField(read_only=True)
    stock_status = serializers.SerializerMethodField()

    class Meta:
        model = SKU
        fields = [
            "id",
            "code",
            "spec",
            "spec_label",
            "price",
            "was_price",
            "available",
            "stock_status",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=STOCK_STATUSES))
    def get_stock_status(self, sku) -> str:
        return selectors.stock_status(sku.available)


class ImageSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField()
    thumb_small = serializers.SerializerMethodField()
    thumb_medium = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "alt", "image", "thumb_small", "thumb_medium"]
        read_only_fields = fields

    def get_image(self, image) -> str | None:
        return _absolute(self.context.get("request"), image.image)

    def get_thumb_small(self, image) -> str | None:
        return _absolute(self.context.get("request"), image.thumb_small)

    def get_thumb_medium(self, image) -> str | None:
        return _absolute(self.context.get("request"), image.thumb_medium)


class SpecificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    value = serializers.JSONField()


class StarCountSerializer(serializers.Serializer):
    stars = serializers.IntegerField()
    count = serializers.IntegerField()


class RatingSummarySerializer(serializers.Serializer):
    """Visible reviews only: their number, average (one decimal, null without reviews) and
    how many gave each number of stars (5 first)."""

    count = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=2, decimal_places=1, allow_null=True)
    distribution = StarCountSerializer(many=True)


class ProductDetailSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    breadcrumbs = serializers.SerializerMethodField()
    supplier = serializers.CharField(source="supplier.name", read_only=True)
    price_min = serializers.SerializerMethodField()
    price_max = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    info = serializers.SerializerMethodField()
    skus = SkuSerializer(source="skus_on_sale", many=True, read_only=True)
    images = ImageSerializer(source="gallery", many=True, read_only=True)
    rating = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "subtitle",
            "brand",
            "category",
            "breadcrumbs",
            "supplier",
            "description",
            "origin",
            "usage",
            "price_min",
            "price_max",
            "attributes",
            "info",
            "after_sales_terms",
            "no_reason_return",
            "skus",
            "images",
            "rating",
            "listed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CategoryRefSerializer(many=True))
    def get_breadcrumbs(self, product):
        """The category and its ancestors, root first."""
        return CategoryRefSerializer(self.context["lineage"], many=True).data

    def _prices(self, product) -> list[Decimal]:
        return [sku.price for sku in product.skus_on_sale if sku.price is not None]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_price_min(self, product):
        prices = self._prices(product)
        return f"{min(prices):.2f}" if prices else None

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_price_max(self, product):
        prices = self._prices(product)
        return f"{max(prices):.2f}" if prices else None

    @extend_schema_field(SpecificationSerializer(many=True))
    def get_attributes(self, product):
        """Attribute values, named by the category's schema."""
        return SpecificationSerializer(self.context["specifications"], many=True).data

    @extend_schema_field(SpecificationSerializer(many=True))
    def get_info(self, product):
        """Product information (ingredients, shelf life, warranty, ...), labelled."""
        return SpecificationSerializer(self.context["information"], many=True).data

    @extend_schema_field(RatingSummarySerializer)
    def get_rating(self, product):
        """The shoppers' rating summary (visible reviews only)."""
        return RatingSummarySerializer(self.context["rating"]).data


class PriceChangeNoticeSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    effective_at = serializers.DateTimeField()


class SkuPriceSerializer(serializers.Serializer):
    """The price of one SKU now, how long it is known to hold, and the announced change."""

    sku = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, source="price")
    was_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    valid_from = serializers.DateTimeField(source="price_from")
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="When the next announced change applies; null: until changed."
    )
    next_change = PriceChangeNoticeSerializer(allow_null=True)
