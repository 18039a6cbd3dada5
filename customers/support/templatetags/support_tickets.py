"""Template helpers of customer service: time left to a deadline, durations, and contact
details masked for staff who may not see them (138****1234)."""

import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.validators import mask_mobile

register = template.Library()


def format_span(seconds: float) -> str:
    """``4800`` → ``"1 h 20 min"``; days and hours beyond a day (``"2 d 3 h"``)."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
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
    """Seconds (a float from the dashboard's aggregates) as ``"1 h 20 min"``; "—" for none."""
    if seconds is None:
        return "—"
    return format_span(seconds)


def mask_street(value: str) -> str:
    """Street and house number hidden, the first two characters kept: ``文三****``."""
    value = value or ""
    return f"{value[:2]}****" if value else ""


def mask_email(value: str) -> str:
    """``li.lei@example.com`` → ``l***@example.com``."""
    if not value or "@" not in value:
        return value or ""
    name, domain = value.split("@", 1)
    return f"{name[:1]}***@{domain}"


@register.filter
def phone_for(value, show: bool) -> str:
    """The mobile number in full for staff who may see contact details, else masked."""
    if not value:
        return ""
    return value if show else mask_mobile(value)


@register.filter
def street_for(value, show: bool) -> str:
    return value if show else mask_street(value)


@register.filter
def email_for(value, show: bool) -> str:
    if not value:
        return ""
    return value if show else mask_email(value)


@register.filter
def shopper_for(user, show: bool) -> str:
    """A shopper as staff may name them: the display name, else the (masked) email or
    mobile number."""
    if user is None:
        return ""
    return user.display_name or email_for(user.email, show) or phone_for(user.phone, show)
