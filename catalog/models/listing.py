"""Listings: the category tree with its attribute schema, products (SPU), SKUs and media."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord

from .admission import DocumentType, Supplier

# The product information a category may require, by code; shown on the product page.
PRODUCT_INFO_FIELDS = {
    "ingredients": _("Ingredients"),
    "shelf_life": _("Shelf life"),
    "storage": _("Storage"),
    "production_licence_no": _("Production licence number"),
    "model": _("Model"),
    "power": _("Power"),
    "warranty": _("Warranty"),
    "material": _("Material"),
    "size_guide": _("Size guide"),
    "care": _("Care instructions"),
    "net_content": _("Net content"),
    "suitable_age": _("Suitable age"),
}


class Category(models.Model):
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50, blank=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("shown on the storefront"), default=True)
    required_documents = ArrayField(
        models.CharField(max_length=30, choices=DocumentType.choices),
        verbose_name=_("documents its suppliers need"),
        default=list,
        blank=True,
        help_text=_("Subcategories inherit these."),
    )
    required_info = ArrayField(
        models.CharField(max_length=30, choices=list(PRODUCT_INFO_FIELDS.items())),
        verbose_name=_("product information it requires"),
        default=list,
        blank=True,
        help_text=_("Subcategories inherit these."),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class CategoryAttribute(models.Model):
    """One attribute of a category's schema (brand, capacity, colour, ...)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        BOOLEAN = "boolean", _("Yes / no")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = ArrayField(
        models.CharField(max_length=50), verbose_name=_("choices"), default=list, blank=True
    )
    required = models.BooleanField(_("required"), default=False)
    filterable = models.BooleanField(_("filter on category pages"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="attribute_code_per_category")
        ]

    def __str__(self):
        return f"{self.category}: {self.name}"


class SearchDocument(Func):
    """The weighted full-text vector of ``search_text`` (lines: title words, then brand,
    subtitle, origin and attribute values, then description), with PostgreSQL's
    ``simple`` configuration: the words are segmented already (catalog.search), so
    ``simple`` only lower-cases them and keeps their positions for phrase matches."""

    template = " || ".join(
        "setweight(to_tsvector('simple'::regconfig, "
        f"split_part(%(expressions)s, chr(10), {line})), '{weight}')"
        for line, weight in ((1, "A"), (2, "B"), (3, "D"))
    )
    output_field = SearchVectorField()


_LISTED = Q(status="listed")


class Product(models.Model):
    """A product (SPU): what the shopper sees as one item, sold in one or more SKUs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        LISTED = "listed", _("Listed")
        DELISTED = "delisted", _("Delisted")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="products", verbose_name=_("supplier")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    name = models.CharField(_("name"), max_length=120)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    brand = models.CharField(_("brand"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True)
    origin = models.CharField(_("place of origin"), max_length=100, blank=True)
    usage = models.TextField(_("how to use"), blank=True)
    after_sales_terms = models.TextField(_("after-sales terms"), blank=True)
    no_reason_return = models.BooleanField(
        _("7-day no-reason return"),
        default=True,
        help_text=_("Untick only for goods the law excludes: fresh food, custom-made, ..."),
    )
    info = models.JSONField(_("product information"), default=dict, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    video = models.FileField(_("video"), upload_to="products/videos/", blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    featured = models.BooleanField(_("featured on the home page"), default=False)
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    # The current price range of the SKUs on sale (None: nothing priced), kept by
    # catalog.services.pricing whenever a price applies, a SKU goes on or off sale or the
    # goods are listed; the listings filter and sort on it through the indexes below.
    price_min = models.DecimalField(
        _("lowest current price"), max_digits=12, decimal_places=2, null=True, editable=False
    )
    price_max = models.DecimalField(
        _("highest current price"), max_digits=12, decimal_places=2, null=True, editable=False
    )
    # Segmented words (catalog.search.segmenting), one line per weight: the title; brand,
    # subtitle, origin and attribute values; the description. Kept by
    # catalog.services.listing; PostgreSQL derives the full-text vector from it.
    search_text = models.TextField(editable=False, default="", verbose_name=_("search text"))
    search_vector = models.GeneratedField(
        expression=SearchDocument(F("search_text")),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search vector"),
    )
    created_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-listed_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "category", "-listed_at"], name="product_listing_idx"),
            # Home page and API list: newest listed goods across categories.
            models.Index(fields=["status", "-listed_at", "-id"], name="product_newest_idx"),
            models.Index(fields=["supplier", "status"], name="product_supplier_idx"),
            GinIndex(fields=["search_vector"], name="product_search_gin"),
            # Listed goods by price: category pages with a price filter (and their capped
            # counts, index-only), and the two price sorts.
            models.Index(
                fields=["category", "price_min"], condition=_LISTED, name="product_cat_price_idx"
            ),
            models.Index(
                F("price_min").asc(nulls_last=True),
                F("id").desc(),
                condition=_LISTED,
                name="product_price_asc_idx",
            ),
            models.Index(
                F("price_max").desc(nulls_last=True),
                F("id").desc(),
                condition=_LISTED,
                name="product_price_desc_idx",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_listed(self) -> bool:
        return self.status == self.Status.LISTED


PRODUCT_MACHINE = Machine(
    Transition(
        "submit", sources={"draft", "rejected"}, target="submitted", label=_("submit for review")
    ),
    Transition("approve", sources={"submitted"}, target="approved", label=_("approve")),
    Transition("reject", sources={"submitted"}, target="rejected", label=_("reject")),
    Transition("list", sources={"approved", "delisted"}, target="listed", label=_("list")),
    Transition("delist", sources={"listed"}, target="delisted", label=_("delist")),
    Transition(
        "revise",
        sources={"approved", "delisted", "rejected"},
        target="draft",
        label=_("revise (back to draft)"),
    ),
)


class ProductStatusChange(TransitionRecord):
    subject = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("product status change")
        verbose_name_plural = _("product status changes")


class SKU(models.Model):
    """A variant that is priced, stocked and sold (e.g. red, size M)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("product")
    )
    code = models.CharField(_("SKU code"), max_length=40)
    barcode = models.CharField(_("barcode"), max_length=20, blank=True)
    spec = models.JSONField(_("specification"), default=dict, blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (g)"))
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    safety_stock = models.PositiveIntegerField(
        _("safety stock"),
        default=0,
        help_text=_("Units kept on top of the expected sales during the lead time."),
    )

    # ABC class by sales value, set nightly (catalog.services.counting.classify_abc):
    # how often its stock is cycle-counted.
    abc_class = models.CharField(
        _("ABC class"), max_length=1, choices=[("A", "A"), ("B", "B"), ("C", "C")], default="C"
    )
    sales_value = models.DecimalField(
        _("sales value (ABC window)"), max_digits=14, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="sku_code_unique"),
        ]

    def __str__(self):
        return f"{self.product.name} {self.spec_label}".strip() if self.product_id else self.code

    @property
    def spec_label(self) -> str:
        return " / ".join(str(value) for value in self.spec.values())


def product_image_path(instance, filename):
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    """A product photo, re-encoded on upload (no EXIF, nothing riding along) with the
    thumbnail sizes the pages use made once, at upload."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=product_image_path)
    thumb_small = models.ImageField(upload_to=product_image_path, editable=False)
    thumb_medium = models.ImageField(upload_to=product_image_path, editable=False)
    alt = models.CharField(_("description"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.alt or f"#{self.pk}"
