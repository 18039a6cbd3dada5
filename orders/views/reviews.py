"""The shopper reviews an item of a delivered order: /orders/<number>/review/<line>/.

Someone else's order line is "not found"; an order that has not arrived shows why no
review is possible yet; a line reviewed already sends the shopper back to the order.
The review is written by ``orders.services.line_reviews``, which the catalog's
one-review-per-line constraint backs.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from catalog.selectors.product_reviews import reviewed_order_lines
from catalog.services.product_reviews import MAX_PHOTOS, MAX_TEXT, AlreadyReviewed, ReviewRefused
from mall.forms import PhotosField

from ..models import OrderLine
from ..services import line_reviews as product_reviews

RATING_CHOICES = [
    (5, gettext_lazy("★★★★★ Excellent")),
    (4, gettext_lazy("★★★★ Good")),
    (3, gettext_lazy("★★★ All right")),
    (2, gettext_lazy("★★ Poor")),
    (1, gettext_lazy("★ Very poor")),
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("Your review"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What did you like, what not? Other shoppers read it."),
    )
    photos = PhotosField(label=pgettext_lazy("review", "Photos"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _(
            "Up to %(count)s pictures (JPEG, PNG, WebP or GIF, at most %(mb)s MB each); "
            "they are shown with your review."
        ) % {"count": MAX_PHOTOS, "mb": settings.MALL_MAX_IMAGE_BYTES // (1024 * 1024)}

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if len(photos) > MAX_PHOTOS:
            raise forms.ValidationError(_("Add at most %(count)s photos.") % {"count": MAX_PHOTOS})
        return photos


@login_required
@require_http_methods(["GET", "POST"])
def review_line(request, number, line_id):
    try:
        line = product_reviews.line_to_review(user=request.user, number=number, line_id=line_id)
    except OrderLine.DoesNotExist:
        raise Http404 from None
    if line.pk in reviewed_order_lines([line.pk]):
        messages.info(request, _("You have reviewed this item already. Thank you!"))
        return redirect("orders:order_detail", number)
    can_review = product_reviews.can_review(line)
    form = ReviewForm(request.POST, request.FILES) if request.method == "POST" else ReviewForm()
    if request.method == "POST" and can_review and form.is_valid():
        data = form.cleaned_data
        try:
            product_reviews.review_line(
                line=line,
                actor=request.user,
                rating=data["rating"],
                text=data["text"],
                photos=data["photos"],
            )
        except ReviewRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        except AlreadyReviewed as error:
            messages.info(request, str(error))
            return redirect("orders:order_detail", number)
        else:
            messages.success(
                request,
                _("Thank you for your review of %(item)s.") % {"item": line.product_name},
            )
            return redirect("orders:order_detail", number)
    context = {"order": line.order, "line": line, "form": form, "can_review": can_review}
    return render(request, "orders/review_form.html", context)
