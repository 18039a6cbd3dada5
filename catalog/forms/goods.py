"""Form fields made from a category's schema, so that an operator never types JSON.

A product's information (``Product.info``: the keys the category requires, labelled by
``PRODUCT_INFO_FIELDS``) and attributes (``Product.attributes``: the category's
``CategoryAttribute`` rows, inherited) become one field each, typed by the schema (text,
number, a list of choices, yes/no), labelled in the reader's language and required where
the schema says so. A SKU's specification becomes one field per axis of its goods
(colour, storage, ...). ``VariantsField`` reads the axes of the variant generator.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.models import PRODUCT_INFO_FIELDS, Category, CategoryAttribute
from catalog.services.admission.rules import attribute_schema, required_info_fields

INFO_PREFIX = "info__"
ATTRIBUTE_PREFIX = "attr__"
SPEC_PREFIX = "spec__"

YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def info_fields(category: Category | None, current: dict) -> dict[str, forms.Field]:
    """A text field per information key the category requires (and per key the goods
    already carry), required where the category requires it."""
    required = required_info_fields(category) if category is not None else []
    keys = [*required, *(k for k in current if k not in required)]
    return {
        f"{INFO_PREFIX}{key}": forms.CharField(
            label=PRODUCT_INFO_FIELDS.get(key, key),
            required=key in required,
            max_length=500,
            initial=current.get(key, ""),
        )
        for key in keys
    }


def attribute_field(attribute: CategoryAttribute, value) -> forms.Field:
    kind = CategoryAttribute.Kind
    common = {"label": attribute.name, "required": attribute.required}
    if attribute.kind == kind.CHOICE:
        choices = [("", "—"), *((c, c) for c in attribute.choices)]
        return forms.ChoiceField(choices=choices, initial=value, **common)
    if attribute.kind == kind.NUMBER:
        return forms.DecimalField(max_digits=14, decimal_places=3, initial=value, **common)
    if attribute.kind == kind.BOOLEAN:
        initial = "" if value is None else ("yes" if value else "no")
        return forms.ChoiceField(choices=YES_NO, initial=initial, **common)
    return forms.CharField(max_length=200, initial=value, **common)


def attribute_fields(category: Category | None, current: dict) -> dict[str, forms.Field]:
    if category is None:
        return {}
    return {
        f"{ATTRIBUTE_PREFIX}{attribute.code}": attribute_field(
            attribute, current.get(attribute.code)
        )
        for attribute in attribute_schema(category)
    }


def attribute_value(attribute_kind: str, value):
    """The stored form of a cleaned attribute value (None: not given)."""
    kind = CategoryAttribute.Kind
    if value in (None, ""):
        return None
    if attribute_kind == kind.BOOLEAN:
        return value == "yes"
    if attribute_kind == kind.NUMBER:
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def collect(cleaned_data: dict, prefix: str) -> dict:
    return {
        name.removeprefix(prefix): value
        for name, value in cleaned_data.items()
        if name.startswith(prefix)
    }


class VariantsField(forms.CharField):
    """One axis per line, ``name: value, value``: "颜色：黑色，白色" and "存储：128GB，256GB"
    make four SKUs. Chinese and ASCII colons and commas both work."""

    widget = forms.Textarea(
        attrs={"rows": 3, "cols": 50, "placeholder": "颜色：黑色，白色\n存储：128GB，256GB"}
    )

    def to_python(self, value) -> dict[str, list[str]]:
        text = super().to_python(value) or ""
        axes: dict[str, list[str]] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            name, colon, values = line.replace("：", ":").partition(":")
            items = [v.strip() for v in values.replace("，", ",").replace("、", ",").split(",")]
            items = [v for v in items if v]
            if not colon or not name.strip() or not items:
                raise ValidationError(
                    _("Line %(number)s: write the axis, a colon and its values."),
                    params={"number": number},
                )
            axes[name.strip()] = items
        return axes
