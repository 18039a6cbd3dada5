"""The storefront's listing filters (price range, stock, the category's attributes) and
sort orders."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog import selectors
from catalog.models import CategoryAttribute

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
