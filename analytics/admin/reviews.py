"""The review mails in the back office (``/admin/analytics/review-mails/``, managers): the
language a manager's weekly and monthly reviews come in, and the last ones sent to them."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..exceptions import AnalyticsError
from ..models import ReviewMail, ReviewPreference
from ..services import reviews

PERMISSION = "analytics.set_target"  # managers: the ones the reviews go to


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("language"), choices=settings.LANGUAGES)


def review_mails_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    current = (
        ReviewPreference.objects.filter(user=request.user)
        .values_list("language", flat=True)
        .first()
    )
    form = LanguageForm(
        request.POST or None, initial={"language": current or settings.LANGUAGE_CODE}
    )
    if request.method == "POST" and form.is_valid():
        try:
            reviews.set_review_language(user=request.user, language=form.cleaned_data["language"])
        except AnalyticsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your review mails will come in this language."))
            return redirect("admin:analytics_review_mails")
    context = {
        **admin.site.each_context(request),
        "title": _("Review mails"),
        "form": form,
        "sent": ReviewMail.objects.filter(recipient=request.user).order_by("-period_start")[:12],
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/review_mails.html", context)


admin.site.register_page(
    route="analytics/review-mails/",
    view=review_mails_view,
    name="analytics_review_mails",
    label=gettext_lazy("Review mails"),
    section=gettext_lazy("KPIs and targets"),
    permission=PERMISSION,
)
