"""The member centre (会员中心): the shopper's own tier, progress, benefits, points and
their history. Only ever the signed-in shopper's own."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..selectors.loyalty import member_centre


@login_required
def centre(request):
    return render(
        request,
        "marketing/membership/centre.html",
        {
            "centre": member_centre(request.user),
            "redeem_rate": settings.MALL_POINTS_REDEEM_RATE,
            "max_share": int(Decimal(settings.MALL_POINTS_MAX_SHARE) * 100),
        },
    )
