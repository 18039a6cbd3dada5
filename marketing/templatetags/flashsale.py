"""The flash-sale banner on the product page (``{% flash_sale_banner sku %}``)."""

from django import template

from ..selectors import flashsales as flash_selectors

register = template.Library()


@register.inclusion_tag("marketing/flashsale/_product_banner.html")
def flash_sale_banner(sku):
    """The live flash sale of ``sku`` (flash price, units left, when it ends, a "Buy now"
    button) or its next upcoming one (when it starts, at what price). One query."""
    return {"sale": flash_selectors.sale_for_sku(sku) if sku is not None else None}
