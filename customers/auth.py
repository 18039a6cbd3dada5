from django.contrib.auth.backends import ModelBackend

from mall.validators import normalize_mobile

from .models import User


class PhoneOrEmailBackend(ModelBackend):
    """Authenticate with a mobile number or an email address in the username field."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get(User.USERNAME_FIELD) or "").strip()
        if not identifier or password is None:
            return None
        if "@" in identifier:
            user = User.objects.filter(email__iexact=identifier).first()
        else:
            user = User.objects.filter(phone=normalize_mobile(identifier)).first()
        if user is None:
            # Spend the same time as a real check, so that timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def axes_username(request, credentials) -> str:
    """The key django-axes counts login failures under: one per account.

    A shopper may sign in with the phone (in any spelling) or the email, and axes reports
    a success under ``get_username()``; all of these must count as the same account, so
    known accounts are keyed by their id. Unknown identifiers are keyed normalized.
    """
    identifier = ((credentials or {}).get("username") or "").strip()
    if "@" in identifier:
        identifier = identifier.lower()
        account = User.objects.filter(email__iexact=identifier)
    else:
        identifier = normalize_mobile(identifier)
        account = User.objects.filter(phone=identifier)
    pk = account.values_list("pk", flat=True).first() if identifier else None
    return f"account:{pk}" if pk is not None else identifier
