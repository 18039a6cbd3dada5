"""Product reviews: a shopper who received an item reviews it once per order line
(rating, text, photos); operators hide a review with a reason, or reply in public. Every
moderation (hide, show again, reply, reply removed) is a row of the review's history.

The order line is kept as its id (``order_line_id``): the catalog does not depend on the
orders app; the orders app checks that the shopper received the item before it asks the
catalog to record the review, and the unique id keeps it to one review per line.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.statemachine import Machine, Transition, TransitionRecord


class ProductReview(models.Model):
    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden")

    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    sku = models.ForeignKey(
        "catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="reviews"
    )
    user = models.ForeignKey(
        "customers.User",
        verbose_name=_("shopper"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    order_line_id = models.BigIntegerField(_("order line"), unique=True)
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("review"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.VISIBLE, db_index=True
    )
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    reply = models.TextField(_("the shop's reply"), blank=True)
    replied_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("replied by"),
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("product review")
        verbose_name_plural = _("product reviews")
        ordering = ["-created_at", "-pk"]
        permissions = [("moderate_productreview", "Can hide product reviews and reply to them")]
        indexes = [
            models.Index(
                fields=["product", "-created_at"],
                condition=Q(status="visible"),
                name="review_visible_by_product",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(status="visible") | ~Q(hidden_reason=""),
                name="review_hidden_with_a_reason",
            ),
        ]

    def __str__(self):
        return f"{self.product_id} · {self.rating}★"


REVIEW_MACHINE = Machine(
    Transition("hide", sources={"visible"}, target="hidden", label=_("hide")),
    Transition("show", sources={"hidden"}, target="visible", label=_("show again")),
)


class ProductReviewChange(TransitionRecord):
    """One moderation of a review: a transition of ``REVIEW_MACHINE``, or a reply
    ("reply", "remove_reply"; the state does not change) with its text as the reason."""

    subject = models.ForeignKey(ProductReview, on_delete=models.CASCADE, related_name="history")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("review moderation")
        verbose_name_plural = _("review moderations")


def review_photo_path(instance, filename):
    # Public like product photos (served under products/), re-encoded at upload.
    return f"products/reviews/{instance.review_id}/{filename}"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(ProductReview, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=review_photo_path)
    thumb = models.ImageField(_("thumbnail"), upload_to=review_photo_path, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("review photo")
        verbose_name_plural = _("review photos")
        ordering = ["pk"]

    def __str__(self):
        return self.image.name
