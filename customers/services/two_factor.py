"""Staff's second factor (django-otp): a TOTP authenticator app, and ten single-use
recovery codes for when the phone is lost. Staff must pass it before the admin or the
ticket view (ops' middleware checks ``user.is_verified()``); passing it again within
``MALL_REAUTH_MINUTES`` is what the most sensitive actions ask for (``recently_verified``).
"""

from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from mall import audit
from mall.second_factor import VERIFIED_AT, VERIFIED_USER, is_verified, recently_verified

__all__ = [
    "VERIFIED_AT",
    "VERIFIED_USER",
    "authenticator",
    "confirm_authenticator",
    "is_verified",
    "pending_authenticator",
    "recently_verified",
    "verify",
]

RECOVERY_CODES = 10


def authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being set up (made on first call, kept until confirmed)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def confirm_authenticator(*, request, user, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code it shows, sign the second factor in
    and return the ten new recovery codes (shown once); ``None`` for a wrong code."""
    device = pending_authenticator(user)
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    _passed(request, device)
    audit.record("auth.second_factor_set_up", actor=user, target=user)
    return codes


def verify(*, request, user, token: str) -> bool:
    """Check a code of the authenticator or an unused recovery code (used up by this),
    and sign the second factor in on success. Wrong codes are audited."""
    device = match_token(user, token.replace(" ", ""))
    if device is None:
        audit.record("auth.second_factor_failed", actor=user, target=user)
        return False
    _passed(request, device)
    if isinstance(device, StaticDevice):
        audit.record("auth.recovery_code_used", actor=user, target=user)
    return True


def _passed(request, device) -> None:
    otp_login(request, device)
    request.session[VERIFIED_USER] = request.user.pk
    request.session[VERIFIED_AT] = timezone.now().isoformat()
