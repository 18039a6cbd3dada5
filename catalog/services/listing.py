"""Writing goods: products, SKUs and images. Review and listing are in ``admission``."""

from django.db import transaction

from mall.storage import MediaUnavailable

from ..exceptions import InvalidUpload
from ..models import SKU, Product, ProductImage
from .media import process_product_image

EDITABLE_FIELDS = (
    "name",
    "subtitle",
    "brand",
    "description",
    "origin",
    "usage",
    "after_sales_terms",
    "no_reason_return",
    "info",
    "attributes",
    "featured",
    "category",
)


def build_search_text(product: Product) -> str:
    """What search matches substrings in: lower-cased, one line per field."""
    parts = [product.name, product.subtitle, product.brand, product.origin]
    parts += [str(value) for value in (product.attributes or {}).values()]
    return "\n".join(p for p in parts if p).lower()


@transaction.atomic
def create_product(*, supplier, category, actor, name: str, **fields) -> Product:
    """Create a draft product. Fields are those in ``EDITABLE_FIELDS``."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not product fields: {sorted(unknown)}")
    product = Product(supplier=supplier, category=category, name=name, created_by=actor, **fields)
    product.search_text = build_search_text(product)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def update_product(*, product: Product, actor, **fields) -> Product:
    """Change a product's content. Approved or listed goods are not edited in place:
    they go back to draft (``revise_product``) and through review again."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not product fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(product, name, value)
    product.search_text = build_search_text(product)
    product.full_clean()
    product.save()
    return product


def refresh_search_text(product: Product) -> None:
    Product.objects.filter(pk=product.pk).update(search_text=build_search_text(product))


@transaction.atomic
def add_sku(*, product: Product, code: str, weight_grams: int, spec=None, barcode="") -> SKU:
    sku = SKU(
        product=product,
        code=code.strip().upper(),
        weight_grams=weight_grams,
        spec=spec or {},
        barcode=barcode,
        position=product.skus.count(),
    )
    sku.full_clean()
    sku.save()
    return sku


@transaction.atomic
def add_product_image(*, product: Product, upload, alt: str = "") -> ProductImage:
    """Attach an image: re-encoded, EXIF-free, with thumbnails. Raises ``InvalidUpload``."""
    files = process_product_image(upload)
    image = ProductImage(product=product, alt=alt, position=product.images.count())
    try:
        for field, content in files.items():
            getattr(image, field).save(content.name, content, save=False)
    except MediaUnavailable as error:
        raise InvalidUpload(str(error)) from error
    image.save()
    return image
