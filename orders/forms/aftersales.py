"""Forms of after-sales: the shopper's request and return parcel, support's decisions.
They check the shape of the input; the rules (windows, units left, exclusions) are the
service's, whose refusals come back as form errors."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mall.forms import PhotosField

from ..models import AfterSalesCase
from ..services.aftersales import MAX_PHOTOS, RETURN_CARRIERS


class RequestForm(forms.Form):
    """What the shopper asks for: the kind, the reason, how many units of each line
    (fields ``line_<pk>``), a description and photos."""

    kind = forms.ChoiceField(
        label=_("What would you like?"),
        choices=AfterSalesCase.Kind.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "—"), *AfterSalesCase.Reason.choices],
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(label=_("Photos of the problem"), required=False)

    def __init__(self, *args, lines, claimable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _(
            "Up to %(count)s pictures (JPEG, PNG, WebP or GIF, at most %(mb)s MB each); "
            "required for faulty goods."
        ) % {"count": MAX_PHOTOS, "mb": settings.MALL_MAX_IMAGE_BYTES // (1024 * 1024)}
        self.order_lines = lines
        for line in lines:
            left = claimable.get(line.pk, 0)
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.product_name,
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                disabled=left == 0,
                widget=forms.NumberInput(attrs={"class": "qty", "max": left, "min": 0}),
            )

    def line_fields(self):
        """(order line, its bound field) for the template."""
        return [(line, self[f"line_{line.pk}"]) for line in self.order_lines]

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if len(photos) > MAX_PHOTOS:
            raise forms.ValidationError(_("Add at most %(count)s photos.") % {"count": MAX_PHOTOS})
        limit = settings.MALL_MAX_IMAGE_BYTES
        for photo in photos:
            if photo.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(mb)s MB.")
                    % {"name": photo.name, "mb": limit // (1024 * 1024)}
                )
        return photos

    def chosen_lines(self) -> list[tuple[int, int]]:
        return [
            (line.pk, self.cleaned_data.get(f"line_{line.pk}") or 0)
            for line in self.order_lines
            if self.cleaned_data.get(f"line_{line.pk}")
        ]


class SendBackForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=[("", "—"), *RETURN_CARRIERS.items()])
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=40,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "latin"}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"), required=False, max_length=200, widget=forms.TextInput
    )


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional, shown to the shopper on the timeline)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is rejected (sent to the shopper)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the request is rejected: the shopper reads it.")},
    )


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)
