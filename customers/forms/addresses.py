"""The address form of the address book (and of checkout's "new address")."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mall.validators import normalize_mobile, validate_mobile

from ..models import Address


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = [
            "recipient",
            "mobile",
            "province",
            "city",
            "district",
            "street",
            "postal_code",
            "is_default",
        ]
        widgets = {"mobile": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile"].validators = []
        self.fields["mobile"].max_length = 20
        self.fields["mobile"].widget.attrs["maxlength"] = 20
        self.fields["province"].choices = [
            ("", _("Choose a province")),
            *list(self.fields["province"].choices)[1:],
        ]

    def clean_mobile(self):
        mobile = self.cleaned_data["mobile"]
        validate_mobile(mobile)
        return normalize_mobile(mobile)

    def clean_postal_code(self):
        code = self.cleaned_data.get("postal_code", "").strip()
        if code and not (len(code) == 6 and code.isdigit()):
            raise forms.ValidationError(_("A postal code has 6 digits."))
        return code
