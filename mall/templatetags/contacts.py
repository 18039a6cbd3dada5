"""Shoppers' contact details on staff pages, through the one masking rule
(``mall.validators``): in full for staff who may see them (``show``, usually the view's
``show_contact``), else masked (138****1234, l***@example.com, 文三****).
``{% load contacts %}``."""

from django import template

from mall.validators import mask_email, mask_mobile, mask_street, person_label

register = template.Library()


@register.filter
def phone_for(value, show: bool) -> str:
    """The mobile number in full for staff who may see contact details, else masked."""
    if not value:
        return ""
    return value if show else mask_mobile(value)


@register.filter
def street_for(value, show: bool) -> str:
    return value if show else mask_street(value)


@register.filter
def email_for(value, show: bool) -> str:
    if not value:
        return ""
    return value if show else mask_email(value)


@register.filter
def shopper_for(user, show: bool) -> str:
    """A shopper as staff may name them: the display name, else the (masked) email or
    mobile number."""
    return person_label(user, show=bool(show))
