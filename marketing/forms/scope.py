"""Choosing goods in the operators' forms: products, categories and suppliers by search,
brands one per line, included or excluded (promotions and coupon templates alike)."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Product, Supplier

SCOPE_RELATIONS = {
    "products": Product,
    "categories": Category,
    "suppliers": Supplier,
    "excluded_products": Product,
    "excluded_categories": Category,
    "excluded_suppliers": Supplier,
}


class LinesField(forms.CharField):
    """Brands, one per line (or separated by commas)."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 40})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [
            part.strip()
            for part in text.replace(",", "\n").replace("，", "\n").splitlines()
            if part.strip()
        ]


def scope_fields(form, model, admin_site):
    for name, related in SCOPE_RELATIONS.items():
        field = forms.ModelMultipleChoiceField(
            queryset=related.objects.all(),
            required=False,
            label=model._meta.get_field(name).verbose_name.capitalize(),
            help_text=model._meta.get_field(name).help_text,
        )
        field.widget = AutocompleteSelectMultiple(model._meta.get_field(name), admin_site)
        field.widget.choices = field.choices
        form.fields[name] = field
    form.fields["brands"] = LinesField(
        label=_("Brands"), required=False, help_text=_("One per line; nothing chosen: every item.")
    )
    form.fields["excluded_brands"] = LinesField(label=_("Excluded brands"), required=False)
