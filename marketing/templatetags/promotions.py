"""Offers on the storefront's pages: ``{% product_offers product sku skus %}`` on the
product page (promotions live and coming with their public start and end, the SKU's
limited-time price with its honest "was" price, coupons to claim) and
``{% category_coupons category %}`` on category pages."""

from django import template

from ..selectors import offers

register = template.Library()


@register.inclusion_tag("marketing/promotions/_product_offers.html", takes_context=True)
def product_offers(context, product, sku, skus):
    request = context.get("request")
    user = getattr(request, "user", None)
    found = offers.product_offers(product, skus, user=user)
    return {
        "offers": found,
        "promo": found.sku_prices.get(getattr(sku, "pk", None)),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("marketing/promotions/_coupons_to_claim.html", takes_context=True)
def category_coupons(context, category):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "coupons": offers.category_coupons(category, user=user),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
