"""factory_boy factories for the catalog, for any test that needs goods.

Rows whose invariants belong to a service go through that service: stock is received
with ``receive_stock`` (so the ledger sums to ``on_hand``) and images are added with
``add_product_image`` (so thumbnails exist). ``ProductFactory`` makes *listed* goods by
default; pass ``status=...`` for others. ``make_listed_product`` builds a complete item
(SKUs, current prices, stock, an image) in one call.
"""

import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from catalog.models import (
    SKU,
    Category,
    CategoryAttribute,
    Product,
    ProductImage,
    SkuPrice,
    Stock,
    Supplier,
    Warehouse,
)
from catalog.services.inventory import receive_stock
from catalog.services.listing import add_product_image, build_search_text
from catalog.services.price_ranges import refresh_price_ranges
from mall.validators import credit_code_check_char

# Every status in which goods must not reach a shopper.
NOT_LISTED = [status for status in Product.Status.values if status != Product.Status.LISTED]


def credit_code(n: int) -> str:
    """A valid unified social credit code, unique per ``n``."""
    first17 = f"91440300MB{n:07d}"
    return first17 + credit_code_check_char(first17)


def jpeg_upload(name="photo.jpg", size=(600, 600), color="seagreen") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class SupplierFactory(factory.django.DjangoModelFactory):
    """An approved supplier. ``categories=[...]`` sets what it may supply."""

    class Meta:
        model = Supplier
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"深圳优选供应链{n}有限公司")
    credit_code = factory.Sequence(credit_code)
    contact_name = "李经理"
    contact_phone = factory.Sequence(lambda n: f"137{n:08d}")
    status = Supplier.Status.APPROVED
    approved_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"类目{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class CategoryAttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CategoryAttribute

    category = factory.SubFactory(CategoryFactory)
    code = factory.Sequence(lambda n: f"attribute_{n}")
    name = factory.Sequence(lambda n: f"属性{n}")
    kind = CategoryAttribute.Kind.TEXT


class ProductFactory(factory.django.DjangoModelFactory):
    """A listed product (no SKUs: add them, or use ``make_listed_product``)."""

    class Meta:
        model = Product

    supplier = factory.SubFactory(SupplierFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    subtitle = ""
    brand = ""
    origin = ""
    description = "好物推荐。"
    after_sales_terms = "未拆封 7 天无理由退货，质量问题包退换。"
    attributes = factory.LazyFunction(dict)
    info = factory.LazyFunction(dict)
    status = Product.Status.LISTED
    listed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Product.Status.LISTED else None
    )
    # What catalog.services.listing keeps: search must find factory goods too.
    search_text = factory.LazyAttribute(build_search_text)


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU-{n:06d}")
    weight_grams = 500
    spec = factory.LazyFunction(dict)


class SkuPriceFactory(factory.django.DjangoModelFactory):
    """A price from now on (``valid_to`` open); one SKU's intervals may not overlap."""

    class Meta:
        model = SkuPrice

    sku = factory.SubFactory(SKUFactory)
    amount = Decimal("99.00")
    valid_from = factory.LazyFunction(timezone.now)
    reason = "初始定价"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # What the pricing service does when a price applies: the goods' stored range.
        price = super()._create(model_class, *args, **kwargs)
        refresh_price_ranges([price.sku.product_id])
        return price


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"wh-{n}")
    name = factory.Sequence(lambda n: f"华东{n}号仓")
    province = "浙江省"
    city = "杭州市"


class StockFactory(factory.Factory):
    """Stock received through ``receive_stock``: ``on_hand`` units with a receipt."""

    class Meta:
        model = Stock

    sku = factory.SubFactory(SKUFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = 10

    @classmethod
    def _create(cls, model_class, *, sku, warehouse, on_hand):
        return receive_stock(sku=sku, warehouse=warehouse, quantity=on_hand, actor=None)


class ProductImageFactory(factory.Factory):
    """An image added through ``add_product_image`` (re-encoded, with thumbnails)."""

    class Meta:
        model = ProductImage

    class Params:
        color = "seagreen"

    product = factory.SubFactory(ProductFactory)
    alt = ""
    upload = factory.LazyAttribute(lambda o: jpeg_upload(color=o.color))

    @classmethod
    def _create(cls, model_class, *, product, alt, upload):
        return add_product_image(product=product, upload=upload, alt=alt)


def make_listed_product(
    *,
    prices=("99.00",),
    stock=10,
    image=False,
    specs=None,
    warehouse=None,
    **fields,
) -> Product:
    """A listed product with one active SKU per price (each priced now) and ``stock``
    units of each SKU (an int for all, a list per SKU; 0 receives nothing).

    ``fields`` go to ``ProductFactory`` (name, category, attributes, featured, ...).
    """
    product = ProductFactory(**fields)
    stocks = stock if isinstance(stock, list | tuple) else [stock] * len(prices)
    warehouse = warehouse or WarehouseFactory(code="main")
    for index, amount in enumerate(prices):
        spec = specs[index] if specs else {}
        sku = SKUFactory(product=product, spec=spec, position=index)
        SkuPriceFactory(sku=sku, amount=Decimal(str(amount)))
        if stocks[index]:
            StockFactory(sku=sku, warehouse=warehouse, on_hand=stocks[index])
    if image:
        ProductImageFactory(product=product)
    return product


def tea_categories() -> Category:
    """食品饮料 > 茶叶 > 绿茶, with a filterable choice attribute "grade" on 茶叶."""
    food = CategoryFactory(name="食品饮料", name_en="Food & drink", slug="food")
    tea = CategoryFactory(name="茶叶", name_en="Tea", slug="tea", parent=food)
    CategoryFactory(name="绿茶", name_en="Green tea", slug="green-tea", parent=tea)
    CategoryAttributeFactory(
        category=tea,
        code="grade",
        name="等级",
        kind=CategoryAttribute.Kind.CHOICE,
        choices=["特级", "一级", "二级"],
        filterable=True,
    )
    return tea


def supplier_user(supplier, **fields):
    """A back-office account of ``supplier``'s own people (role "supplier")."""
    from tests.customers.factories import UserFactory

    user = UserFactory(roles=["supplier"], **fields)
    supplier.accounts.add(user)
    return user
