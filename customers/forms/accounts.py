"""Forms of the account: registration, sign-in by mobile or email, the profile."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from mall.validators import normalize_mobile, validate_mobile

from ..models import User


class _ContactFieldsMixin:
    """Phone and email: normalized, at least one given, neither used by another account."""

    def _clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip()
        if not phone:
            return None
        validate_mobile(phone)
        phone = normalize_mobile(phone)
        taken = User.objects.filter(phone=phone)
        if self.instance_pk:
            taken = taken.exclude(pk=self.instance_pk)
        if taken.exists():
            raise forms.ValidationError(_("An account with this mobile number already exists."))
        return phone

    def _clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if not email:
            return None
        taken = User.objects.filter(email__iexact=email)
        if self.instance_pk:
            taken = taken.exclude(pk=self.instance_pk)
        if taken.exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email

    def _require_phone_or_email(self, cleaned):
        contact_fields_valid = not self.errors.get("phone") and not self.errors.get("email")
        if contact_fields_valid and not cleaned.get("phone") and not cleaned.get("email"):
            raise forms.ValidationError(
                _("Give a mobile number or an email address (or both) to sign in with."),
                code="no_contact",
            )


class RegistrationForm(_ContactFieldsMixin, forms.Form):
    instance_pk = None

    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=50, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    marketing_consent = forms.BooleanField(
        label=_("Send me news about promotions (you can withdraw this at any time)"),
        required=False,
    )

    def clean_phone(self):
        return self._clean_phone()

    def clean_email(self):
        return self._clean_email()

    def clean(self):
        cleaned = super().clean()
        self._require_phone_or_email(cleaned)
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        if password1 and not self.has_error("password2"):
            candidate = User(
                phone=cleaned.get("phone"),
                email=cleaned.get("email"),
                display_name=cleaned.get("display_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "The mobile number or email and password do not match an account. "
            "Note that the password is case-sensitive."
        ),
        "inactive": _("This account is inactive."),
    }


class ProfileForm(_ContactFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "phone", "email", "birthday", "marketing_consent"]
        labels = {"marketing_consent": _("Send me news about promotions")}
        help_texts = {"marketing_consent": _("You can withdraw this at any time.")}
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance_pk = self.instance.pk
        self.fields["phone"].validators = []  # validated (after normalizing) in clean_phone
        self.fields["phone"].max_length = 20
        self.fields["phone"].widget.attrs["maxlength"] = 20

    def clean_phone(self):
        return self._clean_phone()

    def clean_email(self):
        return self._clean_email()

    def clean(self):
        cleaned = super().clean()
        self._require_phone_or_email(cleaned)
        return cleaned
