"""The flash-sale banner on the product page (``{% flash_sale_banner sku %}``)."""

from django import template

register = template.Library()


@register.inclusion_tag("orders/flashsale/_product_banner.html", takes_context=True)
def flash_sale_banner(context, sku):
    """A live or upcoming flash sale of ``sku``, for the product page. Filled by the
    flash-sale work."""
    return {"sale": None, "request": context.get("request")}
