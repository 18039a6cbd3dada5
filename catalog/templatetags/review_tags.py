"""Template helpers of product reviews: stars, the reviewer's masked name, photo URLs."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..selectors.product_reviews import reviewer_name

register = template.Library()


@register.filter
def stars(rating) -> str:
    """``4`` → ``★★★★☆``."""
    try:
        count = max(0, min(5, int(rating)))
    except (TypeError, ValueError):
        return ""
    return "★" * count + "☆" * (5 - count)


@register.filter
def reviewer(user) -> str:
    return reviewer_name(user)


@register.filter
def review_photos(files) -> list[dict]:
    """``photo_files`` of ``visible_reviews`` as URLs: [{"image": url, "thumb": url}]."""
    return [
        {
            "image": default_storage.url(photo["image"]),
            "thumb": default_storage.url(photo["thumb"] or photo["image"]),
        }
        for photo in files or ()
        if photo.get("image")
    ]


STAR = "M12 2l2.9 6.9 7.1.6-5.4 4.7 1.6 7-6.2-3.8-6.2 3.8 1.6-7L2 9.5l7.1-.6z"


def star_fills(rating) -> list[str]:
    """Five stars for an average: ``"full"``, ``"half"`` or ``"empty"`` each, rounded to
    the nearest half star (2.0 → two full; 3.25 up to 3.75 → three and a half)."""
    try:
        halves = int((Decimal(str(rating)) * 2).to_integral_value(ROUND_HALF_UP))
    except (InvalidOperation, TypeError, ValueError):
        halves = 0
    halves = max(0, min(10, halves))
    return ["full"] * (halves // 2) + ["half"] * (halves % 2) + ["empty"] * (5 - (halves + 1) // 2)


@register.simple_tag
def star_meter(rating) -> str:
    """Five stars drawn as SVG shapes, so that they are right whatever the font: a glyph
    width trick (a clipped row of ★ over ☆) fails where the two glyphs differ in width."""
    parts = []
    for fill in star_fills(rating):
        if fill == "half":
            # The left half of a full star over an empty one: a nested <svg> clips it.
            inner = (
                f'<path class="star-empty" d="{STAR}"/>'
                f'<svg width="12" height="24" viewBox="0 0 12 24">'
                f'<path class="star-full" d="{STAR}"/></svg>'
            )
        else:
            inner = f'<path class="star-{fill}" d="{STAR}"/>'
        parts.append(
            f'<svg class="star {fill}" viewBox="0 0 24 24" width="16" height="16">{inner}</svg>'
        )
    return format_html(
        '<span class="stars" role="img" aria-label="{}">{}</span>',
        _("%(rating)s out of 5 stars") % {"rating": rating},
        mark_safe("".join(parts)),  # noqa: S308 - built above from constants only
    )
