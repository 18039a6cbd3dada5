"""Reviews of what a shopper bought: the orders app decides who may review which order
line, the catalog records the review (``catalog.services.product_reviews``).

A line may be reviewed once, by the shopper whose order it is, once the order is
delivered or completed. The catalog's unique order line is the last guard against a
second review, even when two submissions race.
"""

from django.utils.translation import gettext as _

from catalog.models import ProductReview
from catalog.services import product_reviews as reviews

from ..exceptions import OrderError
from ..models import Order, OrderLine

REVIEWABLE = frozenset({Order.Status.DELIVERED, Order.Status.COMPLETED})


class ReviewNotYet(OrderError):
    """The order has not reached the shopper yet."""

    def __init__(self, order: Order):
        self.order = order
        super().__init__(
            _("You can review the items of order %(number)s once it has been delivered.")
            % {"number": order.number}
        )


def line_to_review(*, user, number: str, line_id: int) -> OrderLine:
    """The shopper's own order line, with its order and goods (one query). Raises
    ``OrderLine.DoesNotExist`` for anyone else's line, so pages answer 404."""
    return OrderLine.objects.select_related("order", "sku__product").get(
        pk=line_id, order__number=number, order__user=user
    )


def can_review(line: OrderLine) -> bool:
    """Whether the line's order has arrived (its review may still exist: see
    ``catalog.selectors.product_reviews.reviewed_order_lines``)."""
    return line.order.status in REVIEWABLE


def review_line(*, line: OrderLine, actor, rating, text: str = "", photos=()) -> ProductReview:
    """``actor`` reviews an order line of theirs: rating, words, photos (see
    ``catalog.services.product_reviews.submit_review`` for the checks on each).

    Raises ``OrderLine.DoesNotExist`` if the line is not ``actor``'s, ``ReviewNotYet``
    before delivery, and the catalog's ``ReviewRefused`` (bad input) or
    ``AlreadyReviewed`` (one review per line)."""
    if line.order.user_id != actor.pk:
        raise OrderLine.DoesNotExist
    if not can_review(line):
        raise ReviewNotYet(line.order)
    return reviews.submit_review(
        user=actor,
        order_line_id=line.pk,
        sku=line.sku,
        rating=rating,
        text=text,
        photos=photos,
    )
