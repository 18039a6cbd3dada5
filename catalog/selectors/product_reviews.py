"""Read queries of product reviews for the product page, the reviews page, the API and the
orders app: each runs a fixed number of queries whatever the number of reviews or photos.

Only visible reviews count anywhere a shopper looks: a hidden review leaves the list and
the rating summary alike.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import JSONObject

from mall.validators import mask_mobile

from ..models import ProductReview, ReviewPhoto

STARS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class StarCount:
    stars: int
    count: int
    percent: int  # of all visible reviews, rounded


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: Decimal | None  # one decimal place, None without reviews
    distribution: list[StarCount]  # 5 stars first

    @property
    def average_percent(self) -> int:
        """The average as a share of five stars (for a star bar's width)."""
        return int(self.average * 20) if self.average is not None else 0


def summarize(count: int, total: int, by_stars: dict[int, int]) -> RatingSummary:
    average = None
    if count:
        average = (Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    distribution = [
        StarCount(
            stars,
            by_stars.get(stars, 0),
            round(100 * by_stars.get(stars, 0) / count) if count else 0,
        )
        for stars in STARS
    ]
    return RatingSummary(count=count, average=average, distribution=distribution)


def rating_summary(product_id: int) -> RatingSummary:
    """Number of visible reviews of a product, their average rating and how many gave
    each number of stars: one query (an aggregate over the visible-reviews index)."""
    figures = {f"stars_{stars}": Count("pk", filter=Q(rating=stars)) for stars in STARS}
    row = ProductReview.objects.filter(
        product_id=product_id, status=ProductReview.Status.VISIBLE
    ).aggregate(count=Count("pk"), total=Sum("rating"), **figures)
    by_stars = {stars: row[f"stars_{stars}"] for stars in STARS}
    return summarize(row["count"], row["total"] or 0, by_stars)


def _photos() -> ArraySubquery:
    """The review's photos as a list of {"image": path, "thumb": path}, in upload order."""
    photos = (
        ReviewPhoto.objects.filter(review=OuterRef("pk"))
        .order_by("pk")
        .values(json=JSONObject(image="image", thumb="thumb"))
    )
    return ArraySubquery(photos)


def visible_reviews(product_id: int, *, rating: int | None = None) -> QuerySet[ProductReview]:
    """A product's visible reviews, newest first, each with its shopper and SKU joined and
    its photos as ``photo_files`` (a list of {"image", "thumb"} storage paths) in the
    same query: one query per page (plus the paginator's count). ``rating`` keeps those
    with that many stars."""
    reviews = ProductReview.objects.filter(
        product_id=product_id, status=ProductReview.Status.VISIBLE
    )
    if rating is not None:
        reviews = reviews.filter(rating=rating)
    return (
        reviews.select_related("user", "sku")
        .annotate(photo_files=_photos())
        .order_by("-created_at", "-pk")
    )


def reviewed_order_lines(order_line_ids) -> set[int]:
    """Which of these order lines have a review (visible or not): one query."""
    ids = list(order_line_ids)
    if not ids:
        return set()
    return set(
        ProductReview.objects.filter(order_line_id__in=ids).values_list("order_line_id", flat=True)
    )


def reviewer_name(user) -> str:
    """How a shopper appears under their review: the first character of their name and
    asterisks, so reviews never expose who wrote them."""
    name = (getattr(user, "display_name", "") or "").strip()
    if name:
        return f"{name[0]}***"
    phone = getattr(user, "phone", "") or ""
    return mask_mobile(phone) if phone else "***"
