"""Template helpers of the help centre: FAQ texts in the page's language (Chinese unless
the page is English and an English text exists)."""

from django import template

from customers.support.services import knowledge

register = template.Library()


@register.filter
def faq_title(article) -> str:
    return knowledge.localized_title(article)


@register.filter
def faq_body(article) -> str:
    return knowledge.localized_body(article)


@register.filter
def faq_category(category) -> str:
    return knowledge.localized_category(category)
