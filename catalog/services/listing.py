"""Writing goods: products, SKUs and images. Review and listing are in ``admission``."""

import itertools

from django.db import transaction

from mall.storage import MediaUnavailable

from ..exceptions import InvalidUpload
from ..models import SKU, Product, ProductImage
from ..search import segmenting
from . import pages, price_ranges
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
    """What search indexes: three lines of segmented, lower-cased words (the title; the
    brand, subtitle, origin and attribute values; the description), which PostgreSQL
    weighs A, B and D in ``Product.search_vector``."""
    values = [  # by code: jsonb keeps its own key order, the text must not depend on it
        str(value)
        for _code, value in sorted((product.attributes or {}).items())
        if value not in (None, "") and not isinstance(value, bool)
    ]
    details = [product.brand, product.subtitle, product.origin, *values]
    lines = [product.name, " ".join(p for p in details if p), product.description]
    return "\n".join(segmenting.segmented(line or "") for line in lines)


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
    pages.goods_changed(product.pk)
    return product


def refresh_search_text(product: Product) -> None:
    Product.objects.filter(pk=product.pk).update(search_text=build_search_text(product))
    pages.goods_changed(product.pk)


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
    price_ranges.refresh_price_ranges([product.pk])
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
    pages.goods_changed(product.pk)
    return image


@transaction.atomic
def generate_variants(
    *, product: Product, axes: dict[str, list[str]], weight_grams: int, code_prefix: str = ""
) -> list[SKU]:
    """Add a SKU for every combination of ``axes`` (``{"颜色": ["黑", "白"], "存储":
    ["128GB", "256GB"]}`` gives four) that the product does not have yet; returns the new
    ones. Codes are ``<prefix>-1``, ``-2``, ... after the product's existing SKUs (the
    prefix defaults to the product's id); a combination already present (same spec) is
    skipped, so generating twice adds nothing. Raises ``ValidationError`` when a code is
    taken. All or nothing."""
    names = [name.strip() for name in axes if name.strip()]
    values = [[v.strip() for v in axes[name] if v.strip()] for name in axes if name.strip()]
    if not names or not all(values):
        return []
    existing = {tuple(sorted(sku.spec.items())) for sku in product.skus.all()}
    prefix = (code_prefix.strip() or f"P{product.pk}").upper()
    serial = product.skus.count()
    created = []
    for combination in itertools.product(*values):
        spec = dict(zip(names, combination, strict=True))
        if tuple(sorted(spec.items())) in existing:
            continue
        serial += 1
        sku = SKU(
            product=product,
            code=f"{prefix}-{serial}",
            weight_grams=weight_grams,
            spec=spec,
            position=serial - 1,
        )
        sku.full_clean()
        sku.save()
        created.append(sku)
    if created:
        price_ranges.refresh_price_ranges([product.pk])
    return created
