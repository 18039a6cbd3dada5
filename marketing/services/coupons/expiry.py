"""Coupons that run out: marked expired (the wallet's third tab), and their shoppers
reminded a few days before (``MALL_COUPON_REMIND_DAYS``), once per coupon."""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.services import notify

from ...models import Coupon

BATCH = 500


def expire_coupons(*, now=None) -> int:
    """Mark usable coupons past their end as expired; returns how many. A conditional
    UPDATE: safe to run twice or at once."""
    now = now or timezone.now()
    return Coupon.objects.filter(
        status__in=[Coupon.Status.AVAILABLE, Coupon.Status.UNCLAIMED], valid_until__lte=now
    ).update(status=Coupon.Status.EXPIRED)


def remind_expiring_coupons(*, now=None, limit: int = 5000) -> int:
    """Tell each shopper, once per coupon, that a usable coupon ends within
    ``MALL_COUPON_REMIND_DAYS`` (one message per shopper for all of theirs); returns how
    many coupons were reminded of. Each coupon is claimed by a conditional UPDATE of
    ``reminded_at`` before its message is written, so two runs at once remind once."""
    now = now or timezone.now()
    soon = now + datetime.timedelta(days=settings.MALL_COUPON_REMIND_DAYS)
    due = list(
        Coupon.objects.filter(
            status=Coupon.Status.AVAILABLE,
            reminded_at__isnull=True,
            valid_until__gt=now,
            valid_until__lte=soon,
        )
        .order_by("user_id", "valid_until", "pk")
        .values_list("pk", "user_id")[:limit]
    )
    by_user: dict[int, list[int]] = {}
    for pk, user_id in due:
        by_user.setdefault(user_id, []).append(pk)
    reminded = 0
    for pks in by_user.values():
        with transaction.atomic():
            mine = list(
                Coupon.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=pks, reminded_at__isnull=True)
                .select_related("template", "user")
            )
            if not mine:
                continue
            Coupon.objects.filter(pk__in=[c.pk for c in mine]).update(reminded_at=now)
            first = min(mine, key=lambda c: c.valid_until)
            notify(
                user=first.user,
                title=_("%(count)s coupon(s) in your wallet end soon") % {"count": len(mine)},
                body=_("“%(name)s” can be used until %(until)s.")
                % {
                    "name": first.template.name,
                    "until": date_format(timezone.localtime(first.valid_until), "Y-m-d H:i"),
                },
                link=reverse("coupons:wallet"),
            )
            reminded += len(mine)
    return reminded
