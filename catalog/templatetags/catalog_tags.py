"""Template helpers of the storefront: prices, media paths, stock states, query strings."""

from decimal import Decimal, InvalidOperation

from django import template
from django.core.files.storage import default_storage
from django.utils.translation import get_language

from catalog import selectors
from mall.money import format_money, to_money

register = template.Library()


@register.filter
def money(amount) -> str:
    """``Decimal("1299")`` → ``"¥1,299.00"``; empty for no price."""
    if amount in (None, ""):
        return ""
    try:
        value = to_money(amount if isinstance(amount, Decimal) else Decimal(str(amount)))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return format_money(value)


@register.filter
def media_url(path) -> str:
    """The URL of a stored file from its path (annotations give paths, not files)."""
    return default_storage.url(path) if path else ""


@register.filter
def localized_name(category) -> str:
    """A category's English name on English pages, where it has one."""
    if (get_language() or "").startswith("en") and category.name_en:
        return category.name_en
    return category.name


@register.filter
def stock_status(available) -> str:
    return selectors.stock_status(int(available or 0))


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None and value != "":
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def active_filter_chips(context, form) -> list[dict]:
    """The filters in the query string that ``form`` knows, as chips: ``label`` and the
    ``url`` of the same listing without that one value (and back on the first page)."""
    query = context["request"].GET
    chips = []
    for name in form.fields:
        if name in ("sort",):
            continue
        for value in query.getlist(name):
            if not value.strip():
                continue
            rest = query.copy()
            rest.setlist(name, [v for v in query.getlist(name) if v != value])
            rest.pop("page", None)
            field = form.fields[name]
            if name == "in_stock":
                label = str(field.label)
            elif name == "price_min":
                label = f"≥ ¥{value}"
            elif name == "price_max":
                label = f"≤ ¥{value}"
            elif name.endswith(("_min", "_max")):
                label = f"{field.label}: {value}"
            elif isinstance(field.widget, type(form.fields["in_stock"].widget)):
                label = str(field.label)
            else:
                label = f"{field.label}: {value}"
            encoded = rest.urlencode()
            chips.append({"label": label, "url": f"?{encoded}" if encoded else "?"})
    return chips
