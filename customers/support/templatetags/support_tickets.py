"""Template helpers of customer service: time left to a deadline, durations, and contact
details masked for staff who may not see them (138****1234; the rule is the kernel's)."""

import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.templatetags import contacts

register = template.Library()


def format_span(seconds: float, *, with_seconds: bool = False) -> str:
    """``4800`` → ``"1 h 20 min"``; days and hours beyond a day (``"2 d 3 h"``). With
    ``with_seconds`` a span under an hour keeps its seconds (``"2 min 5 s"``, ``"40 s"``),
    so a fast first response is not shown as 0 min."""
    whole = int(abs(seconds))
    minutes, rest_seconds = divmod(whole, 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if with_seconds and not minutes:
        return _("%(seconds)s s") % {"seconds": rest_seconds}
    if with_seconds:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest_seconds}
    return _("%(minutes)s min") % {"minutes": minutes}


def time_left(due: datetime.datetime | None, now: datetime.datetime | None = None) -> str:
    """``"1 h 20 min left"`` before ``due``, ``"overdue 35 min"`` after; empty for none."""
    if due is None:
        return ""
    seconds = (due - (now or timezone.now())).total_seconds()
    if seconds >= 0:
        return _("%(span)s left") % {"span": format_span(seconds)}
    return _("overdue %(span)s") % {"span": format_span(seconds)}


@register.filter(name="time_left")
def time_left_filter(due) -> str:
    return time_left(due)


@register.filter
def deadline_state(due, soon_minutes=60) -> str:
    """A CSS class: "overdue", "soon" (within ``soon_minutes``), or ""."""
    if due is None:
        return ""
    seconds = (due - timezone.now()).total_seconds()
    if seconds < 0:
        return "overdue"
    return "soon" if seconds <= int(soon_minutes) * 60 else ""


@register.filter
def span(seconds) -> str:
    """Seconds (a float from the dashboard's aggregates) as ``"1 h 20 min"``, under an hour
    with its seconds (``"2 min 5 s"``); "—" for none."""
    if seconds is None:
        return "—"
    return format_span(seconds, with_seconds=True)


# The contact filters are the kernel's (mall/templatetags/contacts.py), registered here
# too so that the ticket view's templates keep loading one library.
register.filter("phone_for", contacts.phone_for)
register.filter("street_for", contacts.street_for)
register.filter("email_for", contacts.email_for)
register.filter("shopper_for", contacts.shopper_for)
