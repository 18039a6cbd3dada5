"""What a session knows of the staff's second factor, readable from every floor: the
kernel's admin actions ask for it again before paying out much money, customers' pages
set it (customers.services.two_factor writes these keys when a code is accepted)."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

VERIFIED_AT = "mall_second_factor_at"
VERIFIED_USER = "mall_second_factor_user"


def is_verified(request) -> bool:
    """Whether this session passed the second factor for its user. Read from the session
    alone (no query per page): signing in again, out, or as someone else starts a session
    without it."""
    user = request.user
    return bool(user.is_authenticated and request.session.get(VERIFIED_USER) == user.pk)


def recently_verified(request) -> bool:
    """Whether the second factor was passed within ``MALL_REAUTH_MINUTES``: asked again
    before role changes and refunds above ``MALL_REAUTH_REFUND_ABOVE``."""
    stamp = request.session.get(VERIFIED_AT)
    if not stamp or not is_verified(request):
        return False
    window = datetime.timedelta(minutes=settings.MALL_REAUTH_MINUTES)
    return timezone.now() - datetime.datetime.fromisoformat(stamp) <= window


def large_payout(amount: Decimal) -> bool:
    return amount > settings.MALL_REAUTH_REFUND_ABOVE


def ask_again(request, message: str, *, next_url: str):
    """Send the person to enter their code again, then back to ``next_url``."""
    messages.warning(request, message)
    target = reverse("customers:two_factor")
    return redirect(f"{target}?{urlencode({'next': next_url})}")
