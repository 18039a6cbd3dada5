from django.contrib.auth.backends import ModelBackend

from .models import User
from .validators import normalize_mobile


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
