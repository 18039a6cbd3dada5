"""Product reviews: a shopper's rating, words and photos of an item they received, once
per order line; operators hide a review (with a reason) or show it again, and reply in
public. Each of these is a row of the review's history (``ProductReviewChange``: who,
when, what, why or the reply's text).

The catalog does not know orders: whoever calls ``submit_review`` (the orders app) has
checked that the order line is the shopper's and was delivered. The unique
``order_line_id`` is the final guard against a second review of one line, also when two
submissions race.
"""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.statemachine import transition
from mall.storage import MediaUnavailable

from ..exceptions import CatalogError
from ..models import REVIEW_MACHINE, SKU, ProductReview, ProductReviewChange, ReviewPhoto
from . import media, pages

MAX_PHOTOS = 6
MAX_TEXT = 2000
MAX_REPLY = 1000
MAX_REASON = 200  # ProductReview.hidden_reason
PHOTO_SIDE = 1600  # the photo as shown when opened
THUMB_SIDE = 240  # the photo in the list of reviews


class ReviewRefused(CatalogError):
    """A review that cannot be recorded as written; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(str(problem) for problem in problems))


class AlreadyReviewed(CatalogError):
    """The order line has its review already (one per line)."""

    def __init__(self, order_line_id: int):
        self.order_line_id = order_line_id
        super().__init__(_("You have reviewed this item already."))


class ModerationRefused(CatalogError):
    """A moderation step that does not apply (hiding a hidden review, no reason, ...)."""


def submit_review(
    *, user, order_line_id: int, sku: SKU, rating, text: str = "", photos=()
) -> ProductReview:
    """Record ``user``'s review of ``sku`` bought on order line ``order_line_id``: a rating
    of 1 to 5 stars, optional words (at most ``MAX_TEXT`` characters) and up to
    ``MAX_PHOTOS`` photos, each re-encoded as JPEG without EXIF, with a thumbnail, public
    under products/reviews/. The review is visible at once.

    The caller has checked that the line is the shopper's and was delivered. Raises
    ``ReviewRefused`` with every problem of the input (nothing written) and
    ``AlreadyReviewed`` when the line has a review (the unique order line decides, so of
    two concurrent submissions exactly one is recorded).
    """
    problems = []
    try:
        stars = int(rating)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        problems.append(_("Choose a rating from 1 to 5 stars."))
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        problems.append(_("Keep the review to %(count)s characters at most.") % {"count": MAX_TEXT})
    # Photos are decoded before the transaction: no lock is held while Pillow works.
    processed, photo_problems = media.process_photos(
        photos,
        limit=MAX_PHOTOS,
        # The shown photo and its thumbnail from one decode of the upload.
        process=partial(media.process_photo_sizes, max_sides=(PHOTO_SIDE, THUMB_SIDE)),
    )
    problems += photo_problems
    if problems:
        raise ReviewRefused(problems)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the outer block survives the error
                review = ProductReview.objects.create(
                    product_id=sku.product_id,
                    sku=sku,
                    user=user,
                    order_line_id=order_line_id,
                    rating=stars,
                    text=text,
                )
        except IntegrityError:
            if ProductReview.objects.filter(order_line_id=order_line_id).exists():
                raise AlreadyReviewed(order_line_id) from None
            raise
        try:
            for image, thumb in processed:
                photo = ReviewPhoto(review=review)
                photo.image.save(image.name, image, save=False)
                photo.thumb.save(thumb.name, thumb, save=False)
                photo.save()
        except MediaUnavailable as error:  # the rollback takes the review, and its files
            raise ReviewRefused([str(error)]) from error
    pages.goods_changed(review.product_id)  # the cards show the rating too
    return review


def _locked(review: ProductReview) -> ProductReview:
    return ProductReview.objects.select_for_update().get(pk=review.pk)


@transaction.atomic
def hide_review(*, review: ProductReview, actor, reason: str) -> ProductReview:
    """Take a visible review off the product pages, recording who, when and why (the
    reason is required, by a CHECK constraint too). Its rating leaves the product's
    summary. Raises ``ModerationRefused`` without a reason or if it is hidden already."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationRefused(_("Say why the review is hidden."))
    locked = _locked(review)
    if locked.status == ProductReview.Status.HIDDEN:
        raise ModerationRefused(_("This review is hidden already."))
    locked.hidden_reason = reason[:MAX_REASON]
    locked.moderated_by = actor
    locked.moderated_at = timezone.now()
    pages.goods_changed(review.product_id)
    return transition(
        locked,
        REVIEW_MACHINE,
        "hide",
        history=ProductReviewChange,
        actor=actor,
        reason=locked.hidden_reason,
        update_fields=["hidden_reason", "moderated_by", "moderated_at"],
    )


@transaction.atomic
def show_review(*, review: ProductReview, actor) -> ProductReview:
    """Put a hidden review back on the product pages (who and when recorded; the old
    reason is cleared). Raises ``ModerationRefused`` if it is visible already."""
    locked = _locked(review)
    if locked.status == ProductReview.Status.VISIBLE:
        raise ModerationRefused(_("This review is visible already."))
    locked.hidden_reason = ""
    locked.moderated_by = actor
    locked.moderated_at = timezone.now()
    pages.goods_changed(review.product_id)
    return transition(
        locked,
        REVIEW_MACHINE,
        "show",
        history=ProductReviewChange,
        actor=actor,
        update_fields=["hidden_reason", "moderated_by", "moderated_at"],
    )


@transaction.atomic
def reply_to_review(*, review: ProductReview, actor, text: str) -> ProductReview:
    """The shop's public answer under a review (replacing an earlier one), signed by the
    shop, not the operator. An empty text removes the reply. The history keeps every
    version (who wrote it, when). Raises ``ModerationRefused`` for a reply longer than
    ``MAX_REPLY`` characters."""
    text = (text or "").strip()
    if len(text) > MAX_REPLY:
        raise ModerationRefused(
            _("Keep the reply to %(count)s characters at most.") % {"count": MAX_REPLY}
        )
    locked = _locked(review)
    if text == locked.reply:
        return locked  # nothing changes, nothing to record
    ProductReviewChange.objects.create(
        subject=locked,
        transition="reply" if text else "remove_reply",
        from_state=locked.status,
        to_state=locked.status,
        actor=actor,
        reason=text,
    )
    locked.reply = text
    locked.replied_by = actor if text else None
    locked.replied_at = timezone.now() if text else None
    locked.save(update_fields=["reply", "replied_by", "replied_at"])
    pages.product_changed(locked.product_id)
    return locked
