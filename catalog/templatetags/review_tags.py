"""Template helpers of product reviews: stars, the reviewer's masked name, photo URLs."""

from django import template
from django.core.files.storage import default_storage

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
