"""Query parameters of the product list, validated like any other input: bad values give a
400 with the field errors, never a 500."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import selectors

ORDERINGS = [
    (selectors.RELEVANCE, _("best match first (when searching)")),
    ("newest", _("newest listed first")),
    ("price", _("lowest price first")),
    ("-price", _("highest price first")),
    ("name", _("by name")),
]


class ProductListParams(serializers.Serializer):
    category = serializers.SlugField(
        required=False, help_text=_("Category slug; its subcategories are included.")
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("Search words; each must occur in the goods' name, brand or attributes."),
    )
    price_min = serializers.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    price_max = serializers.DecimalField(
        required=False, max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    in_stock = serializers.BooleanField(
        required=False, default=False, help_text=_("Only goods that can be bought now.")
    )
    ordering = serializers.ChoiceField(
        required=False,
        choices=ORDERINGS,
        help_text=_("Default: relevance when searching, else newest."),
    )
    page = serializers.IntegerField(required=False, min_value=1)

    def validate_category(self, slug):
        self.tree = selectors.category_tree()
        category = self.tree.visible_by_slug(slug)
        if category is None:
            raise serializers.ValidationError(_("There is no such category."))
        return category

    def validate(self, attrs):
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"price_max": [_("The highest price is below the lowest price.")]}
            )
        return attrs

    def selector_arguments(self) -> tuple[str, dict]:
        """The search words and the keyword arguments for the selectors."""
        data = self.validated_data
        query = data.get("q", "").strip()
        default = selectors.RELEVANCE if query else selectors.DEFAULT_SORT
        arguments = {
            "price_min": data.get("price_min"),
            "price_max": data.get("price_max"),
            "in_stock": data.get("in_stock", False),
            "sort": data.get("ordering") or default,
        }
        if "category" in data:
            arguments.update(category=data["category"], tree=self.tree)
        return query, arguments
