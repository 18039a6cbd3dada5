"""Operating targets in the back office (``/admin/analytics/targets/``): every target of a
year with its quarters and months against the actual figures, and, for managers, the form
that sets one (``analytics.services.targets.set_target``)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Category

from ..exceptions import TargetRefused
from ..metrics import TARGETABLE
from ..models import Target
from ..selectors import kpis
from ..services import targets

VIEW_PERMISSION = "analytics.view_target"
SET_PERMISSION = "analytics.set_target"


class TargetForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("year"), min_value=2000, max_value=2100)
    metric = forms.ChoiceField(
        label=gettext_lazy("metric"), choices=[(m.key, m.label) for m in TARGETABLE]
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("category"),
        queryset=Category.objects.order_by("parent_id", "position", "name"),
        required=False,
        help_text=gettext_lazy("Empty: the whole shop. A category counts with its subcategories."),
    )
    channel = forms.CharField(
        label=gettext_lazy("channel"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "A UTM source, a referring site or “direct”, as the dashboard names it."
        ),
    )
    split = forms.ChoiceField(label=gettext_lazy("split"), choices=Target.Split.choices)
    amount = forms.DecimalField(
        label=gettext_lazy("annual target"), required=False, min_value=0, decimal_places=2
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for month in range(1, 13):
            self.fields[f"month_{month}"] = forms.DecimalField(
                label=gettext_lazy("month %(month)s") % {"month": month},
                required=False,
                min_value=0,
                decimal_places=2,
            )

    def months(self) -> list | None:
        figures = [self.cleaned_data.get(f"month_{m}") for m in range(1, 13)]
        return None if any(f is None for f in figures) else figures


def targets_view(request):
    user = request.user
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    form = TargetForm(request.POST or None, initial={"year": year, "split": "seasonality"})
    if request.method == "POST":
        if not user.has_perm(SET_PERMISSION):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                targets.set_target(
                    year=data["year"],
                    metric=data["metric"],
                    split=data["split"],
                    amount=data["amount"],
                    months=form.months(),
                    category=data["category"],
                    channel=data["channel"],
                    actor=user,
                )
            except TargetRefused as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The target is set."))
                return redirect(reverse("admin:analytics_targets") + f"?year={data['year']}")
    context = {
        **admin.site.each_context(request),
        "title": _("Targets %(year)s") % {"year": year},
        "year": year,
        "progress": kpis.target_progress(year=year, today=today),
        "form": form if user.has_perm(SET_PERMISSION) else None,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/analytics/targets.html", context)


admin.site.register_page(
    route="analytics/targets/",
    view=targets_view,
    name="analytics_targets",
    label=gettext_lazy("Targets"),
    section=gettext_lazy("KPIs and targets"),
    permission=VIEW_PERMISSION,
)
