"""Moderation of product reviews in the back office.

Reviews are the shoppers' words: nobody edits or deletes them here. Operators with
``catalog.moderate_productreview`` hide a review with a reason (an action with a reason
page), show it again, and reply in public on the review's reply page; everyone with
``view_productreview`` (operators, analysts) reads them, photos included. Every step goes
through ``catalog.services.product_reviews``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action
from mall.admin.history import TransitionHistoryInline
from mall.validators import mask_mobile

from ..models import REVIEW_MACHINE, ProductReview, ProductReviewChange
from ..services import product_reviews as reviews

MODERATE = "catalog.moderate_productreview"


def _hide(review, actor, reason):
    return reviews.hide_review(review=review, actor=actor, reason=reason)


def _show(review, actor, reason):
    return reviews.show_review(review=review, actor=actor)


REVIEW_ACTIONS = [
    ServiceAction(
        name="hide_review",
        label=_("Hide from the product page"),
        done=_("%(count)d review(s) hidden."),
        perform=_hide,
        sources=REVIEW_MACHINE["hide"].sources,
        reason_label=_("Why it is hidden (kept with the review, not shown to shoppers)"),
        permission="moderate",
    ),
    ServiceAction(
        name="show_review",
        label=_("Show on the product page again"),
        done=_("%(count)d review(s) shown again."),
        perform=_show,
        sources=REVIEW_MACHINE["show"].sources,
        permission="moderate",
    ),
]


class WithPhotosFilter(admin.SimpleListFilter):
    title = _("photos")
    parameter_name = "photos"

    def lookups(self, request, model_admin):
        return [("yes", _("with photos")), ("no", _("without photos"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(photo_count__gt=0)
        if self.value() == "no":
            return queryset.filter(photo_count=0)
        return queryset


class RepliedFilter(admin.SimpleListFilter):
    title = _("the shop's reply")
    parameter_name = "replied"

    def lookups(self, request, model_admin):
        return [("yes", _("replied")), ("no", _("not replied yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(reply="")
        if self.value() == "no":
            return queryset.filter(reply="")
        return queryset


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("The shop's reply"),
        required=False,
        max_length=reviews.MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            "Shown under the review, signed by the shop. Leave it empty to remove the reply."
        ),
    )


class ReviewHistoryInline(TransitionHistoryInline):
    """Every moderation of the review: hidden (why), shown again, replied (the text)."""

    model = ProductReviewChange
    status_choices = dict(ProductReview.Status.choices)
    machine = REVIEW_MACHINE
    action_labels = {
        "hide": _("hidden"),
        "show": _("shown again"),
        "reply": _("replied"),
        "remove_reply": _("reply removed"),
    }
    verbose_name = _("moderation")
    verbose_name_plural = _("moderation history")


@admin.register(ProductReview)
class ProductReviewAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "product",
        "supplier",
        "stars",
        "short_text",
        "photo_count",
        "status",
        "replied",
        "shopper",
    )
    list_display_links = ("created_at", "short_text")
    list_filter = (
        "status",
        "rating",
        ("product", admin.RelatedOnlyFieldListFilter),
        ("product__supplier", admin.RelatedOnlyFieldListFilter),
        WithPhotosFilter,
        RepliedFilter,
        "created_at",
    )
    list_select_related = ("product", "product__supplier", "user")
    search_fields = ("product__name", "text", "user__phone", "user__email", "=order_line_id")
    search_help_text = _("Product, words of the review, the shopper's phone or email")
    date_hierarchy = "created_at"
    service_actions = REVIEW_ACTIONS
    actions = [make_admin_action(spec) for spec in REVIEW_ACTIONS]
    change_form_template = "admin/catalog/productreview/change_form.html"
    inlines = [ReviewHistoryInline]
    fieldsets = (
        (None, {"fields": ("product", "sku", "shopper", "order_line_id", "created_at")}),
        (pgettext_lazy("product review", "Review"), {"fields": ("stars", "text", "photo_gallery")}),
        (_("Moderation"), {"fields": ("status", "hidden_reason", "moderated_by", "moderated_at")}),
        (_("The shop's reply"), {"fields": ("reply", "replied_by", "replied_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(photo_count=Count("photos"))

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ProductReview._meta.fields] + [
            "shopper",
            "stars",
            "photo_gallery",
        ]

    @admin.display(description=_("shopper"), ordering="user")
    def shopper(self, review):
        # Like the user admin: a phone number shows masked (138****5678).
        user = review.user
        return user.display_name or user.email or mask_mobile(user.phone or "")

    @admin.display(description=_("supplier"), ordering="product__supplier__name")
    def supplier(self, review):
        return review.product.supplier.name

    @admin.display(description=_("rating"), ordering="rating")
    def stars(self, review):
        return "★" * review.rating + "☆" * (5 - review.rating)

    @admin.display(description=_("review"))
    def short_text(self, review):
        return Truncator(review.text).chars(60) or "—"

    @admin.display(description=_("photos"), ordering="photo_count")
    def photo_count(self, review):
        return review.photo_count

    @admin.display(description=_("replied"), boolean=True)
    def replied(self, review):
        return bool(review.reply)

    @admin.display(description=_("photos"))
    def photo_gallery(self, review):
        photos = list(review.photos.all())
        if not photos:
            return "—"
        return format_html_join(
            "",
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="" '
            'style="max-height:120px;max-width:120px;margin:0 8px 8px 0"></a>',
            (
                (photo.image.url, (photo.thumb or photo.image).url)
                for photo in photos
                if photo.image
            ),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only: moderation goes through the actions and the reply page

    def has_delete_permission(self, request, obj=None):
        return False  # a review is hidden, never deleted

    def has_moderate_permission(self, request):
        return request.user.has_perm(MODERATE)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/reply/",
                view(self.reply_view),
                name="catalog_productreview_reply",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_moderate": self.has_moderate_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def reply_view(self, request, object_id):
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        review = self.get_object(request, unquote(object_id))
        if review is None:
            raise Http404
        change_url = reverse("admin:catalog_productreview_change", args=[review.pk])
        form = ReplyForm(
            request.POST if request.method == "POST" else None, initial={"reply": review.reply}
        )
        if request.method == "POST" and form.is_valid():
            try:
                reviews.reply_to_review(
                    review=review, actor=request.user, text=form.cleaned_data["reply"]
                )
            except reviews.ModerationRefused as error:
                form.add_error("reply", str(error))
            else:
                if form.cleaned_data["reply"].strip():
                    self.message_user(request, _("The reply is published."), messages.SUCCESS)
                else:
                    self.message_user(request, _("The reply is removed."), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reply to a review of %(product)s") % {"product": review.product},
            "opts": self.model._meta,
            "original": review,
            "form": form,
            "change_url": change_url,
            "photos": list(review.photos.all()),
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/productreview/reply.html", context)
