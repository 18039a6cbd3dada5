"""What a rule covers: goods chosen by product, category (with its subcategories), brand
or supplier, less exclusions. Promotions and coupon templates share it."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scoped(models.Model):
    """Nothing chosen to include means every item; exclusions always win."""

    products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("products"), blank=True, related_name="+"
    )
    categories = models.ManyToManyField(
        "catalog.Category",
        verbose_name=_("categories"),
        blank=True,
        related_name="+",
        help_text=_("Their subcategories are included."),
    )
    suppliers = models.ManyToManyField(
        "catalog.Supplier", verbose_name=_("suppliers"), blank=True, related_name="+"
    )
    brands = ArrayField(
        models.CharField(max_length=60), verbose_name=_("brands"), default=list, blank=True
    )
    excluded_products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("excluded products"), blank=True, related_name="+"
    )
    excluded_categories = models.ManyToManyField(
        "catalog.Category", verbose_name=_("excluded categories"), blank=True, related_name="+"
    )
    excluded_suppliers = models.ManyToManyField(
        "catalog.Supplier", verbose_name=_("excluded suppliers"), blank=True, related_name="+"
    )
    excluded_brands = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("excluded brands"),
        default=list,
        blank=True,
    )

    class Meta:
        abstract = True

    SCOPE_RELATIONS = (
        "products",
        "categories",
        "suppliers",
        "excluded_products",
        "excluded_categories",
        "excluded_suppliers",
    )
