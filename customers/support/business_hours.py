"""The support team's working calendar, for ticket deadlines.

A deadline of "2 hours" means two *working* hours when the shop configures business
hours: ``MALL_SUPPORT_BUSINESS_HOURS="09:00-18:00"`` and ``MALL_SUPPORT_WORKDAYS="1,2,3,4,5"``
(ISO weekdays, Monday = 1). A complaint opened on Friday at 17:30 with a two-hour target
is then due on Monday at 10:30. Without business hours the clock runs round the clock on
the workdays (every day by default).

An evening window that ends after midnight (``"20:00-02:00"``) belongs to the day it
starts on. ``add_working_minutes`` is a pure function of its arguments; ``from_settings``
reads the calendar from the settings.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALL_DAYS = frozenset(range(1, 8))
# More than a year without a single working minute means the calendar is empty.
_MAX_DAYS = 400


@dataclass(frozen=True)
class Calendar:
    """Working time: ``hours`` (opening, closing) on ``workdays`` (ISO weekdays) in
    ``tz``; ``hours`` None means the whole day."""

    hours: tuple[datetime.time, datetime.time] | None = None
    workdays: frozenset[int] = ALL_DAYS
    tz: datetime.tzinfo = datetime.UTC

    @property
    def round_the_clock(self) -> bool:
        return self.hours is None and self.workdays == ALL_DAYS

    def windows_from(self, moment: datetime.datetime):
        """The working windows (start, end) that end after ``moment``, in order."""
        local = moment.astimezone(self.tz)
        # Yesterday's window may run past midnight into today.
        day = local.date() - datetime.timedelta(days=1)
        for _ in range(_MAX_DAYS):
            if day.isoweekday() in self.workdays:
                start, end = self._window(day)
                if end > moment:
                    yield start, end
            day += datetime.timedelta(days=1)

    def _window(self, day: datetime.date):
        if self.hours is None:
            opens, closes = datetime.time(0), datetime.time(0)
        else:
            opens, closes = self.hours
        start = datetime.datetime.combine(day, opens, tzinfo=self.tz)
        end_day = day if closes > opens else day + datetime.timedelta(days=1)
        end = datetime.datetime.combine(end_day, closes, tzinfo=self.tz)
        return start, end


def add_working_minutes(
    start: datetime.datetime, minutes: int, calendar: Calendar
) -> datetime.datetime:
    """The moment ``minutes`` working minutes after ``start`` (an aware datetime).

    Time outside the calendar's windows does not count: a start out of hours begins at
    the next opening. Zero minutes gives ``start`` itself. Raises ``ValueError`` for a
    negative count or a calendar without any working time.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if minutes == 0:
        return start
    if calendar.round_the_clock:
        return start + datetime.timedelta(minutes=minutes)
    left = datetime.timedelta(minutes=minutes)
    for opens, closes in calendar.windows_from(start):
        begin = max(opens, start)
        available = closes - begin
        if left <= available:
            return (begin + left).astimezone(start.tzinfo)
        left -= available
    raise ValueError("the calendar has no working time")


def working_minutes_between(
    start: datetime.datetime, end: datetime.datetime, calendar: Calendar
) -> int:
    """Whole working minutes from ``start`` to ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0
    if calendar.round_the_clock:
        return int((end - start).total_seconds() // 60)
    total = datetime.timedelta()
    for opens, closes in calendar.windows_from(start):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return int(total.total_seconds() // 60)


def _parse_time(text: str) -> datetime.time:
    text = text.strip()
    if text in ("24:00", "24:00:00"):
        return datetime.time(0)
    return datetime.time.fromisoformat(text)


def parse(hours: str, workdays: str, tz: datetime.tzinfo) -> Calendar:
    """A calendar from the settings' text: ``"09:00-18:00"`` (empty: the whole day) and
    ``"1,2,3,4,5"`` (empty: every day). Raises ``ImproperlyConfigured`` for anything else."""
    parsed_hours = None
    if hours and hours.strip():
        try:
            opens, closes = (_parse_time(part) for part in hours.split("-"))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"MALL_SUPPORT_BUSINESS_HOURS must look like 09:00-18:00, not {hours!r}."
            ) from error
        if opens == closes and not (opens == datetime.time(0)):
            raise ImproperlyConfigured("MALL_SUPPORT_BUSINESS_HOURS opens and closes at once.")
        parsed_hours = None if opens == closes else (opens, closes)
    days = ALL_DAYS
    if workdays and workdays.strip():
        try:
            days = frozenset(int(day) for day in workdays.replace(" ", "").split(",") if day)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"MALL_SUPPORT_WORKDAYS must list weekdays 1-7, not {workdays!r}."
            ) from error
        if not days or not days <= ALL_DAYS:
            raise ImproperlyConfigured(
                f"MALL_SUPPORT_WORKDAYS must list weekdays 1-7, not {workdays!r}."
            )
    return Calendar(hours=parsed_hours, workdays=days, tz=tz)


def from_settings() -> Calendar:
    """The support team's calendar in the shop's time zone."""
    return parse(
        settings.MALL_SUPPORT_BUSINESS_HOURS,
        settings.MALL_SUPPORT_WORKDAYS,
        zoneinfo.ZoneInfo(settings.TIME_ZONE),
    )
