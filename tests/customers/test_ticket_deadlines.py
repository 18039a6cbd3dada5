"""Ticket deadlines: the business-hours calendar (a pure function), the service targets
(saved or default), the time left as agents read it."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from customers.support import business_hours
from customers.support.business_hours import Calendar, add_working_minutes, working_minutes_between
from customers.support.models import ServiceTarget, Ticket
from customers.support.services import tickets
from customers.support.templatetags.support_tickets import time_left
from tests.customers.ticket_helpers import open_ticket

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
OFFICE = Calendar(
    hours=(datetime.time(9), datetime.time(18)), workdays=frozenset({1, 2, 3, 4, 5}), tz=SHANGHAI
)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


# 2026-03-02 is a Monday; 2026-03-06 a Friday.


# --- The pure function ---------------------------------------------------------------------


def test_round_the_clock_adds_plain_minutes():
    start = at(2026, 3, 7, 23, 30)  # a Saturday night
    assert add_working_minutes(start, 120, Calendar(tz=SHANGHAI)) == at(2026, 3, 8, 1, 30)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Within the day.
        (at(2026, 3, 2, 10, 0), 120, at(2026, 3, 2, 12, 0)),
        # Up to closing exactly.
        (at(2026, 3, 2, 16, 0), 120, at(2026, 3, 2, 18, 0)),
        # Overnight: 30 minutes today, 90 tomorrow morning.
        (at(2026, 3, 2, 17, 30), 120, at(2026, 3, 3, 10, 30)),
        # Opened before opening time: the clock starts at 09:00.
        (at(2026, 3, 3, 7, 15), 30, at(2026, 3, 3, 9, 30)),
        # Opened after closing: tomorrow morning.
        (at(2026, 3, 3, 22, 0), 60, at(2026, 3, 4, 10, 0)),
        # Friday evening to Monday: the weekend does not count.
        (at(2026, 3, 6, 17, 30), 120, at(2026, 3, 9, 10, 30)),
        # Opened on a Sunday: Monday from opening.
        (at(2026, 3, 8, 12, 0), 45, at(2026, 3, 9, 9, 45)),
        # 48 working hours = five working days and a third.
        (at(2026, 3, 2, 9, 0), 48 * 60, at(2026, 3, 9, 12, 0)),
    ],
)
def test_business_hours_skip_nights_and_weekends(start, minutes, due):
    assert add_working_minutes(start, minutes, OFFICE) == due


def test_an_evening_shift_past_midnight_belongs_to_the_day_it_starts():
    evenings = Calendar(
        hours=(datetime.time(20), datetime.time(2)),
        workdays=frozenset({1, 2, 3, 4, 5}),
        tz=SHANGHAI,
    )
    # Tuesday 01:00 is in Monday's shift: one hour left, then Tuesday's shift.
    assert add_working_minutes(at(2026, 3, 3, 1, 0), 90, evenings) == at(2026, 3, 3, 20, 30)
    # Saturday 01:00 is in Friday's shift; Saturday's and Sunday's do not exist.
    assert add_working_minutes(at(2026, 3, 7, 1, 0), 90, evenings) == at(2026, 3, 9, 20, 30)


def test_workdays_without_hours_count_whole_days():
    weekdays = Calendar(workdays=frozenset({1, 2, 3, 4, 5}), tz=SHANGHAI)
    assert add_working_minutes(at(2026, 3, 6, 23, 0), 120, weekdays) == at(2026, 3, 9, 1, 0)


def test_the_result_keeps_the_start_time_zone_and_zero_is_the_start():
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # 17:00 in Shanghai
    due = add_working_minutes(start, 120, OFFICE)
    assert due.tzinfo == datetime.UTC and due == at(2026, 3, 3, 10, 0)
    assert add_working_minutes(at(2026, 3, 8, 3, 0), 0, OFFICE) == at(2026, 3, 8, 3, 0)
    with pytest.raises(ValueError):
        add_working_minutes(start, -1, OFFICE)


def test_working_minutes_between_is_the_inverse():
    start = at(2026, 3, 6, 17, 30)
    assert working_minutes_between(start, at(2026, 3, 9, 10, 30), OFFICE) == 120
    assert working_minutes_between(start, start, OFFICE) == 0
    assert working_minutes_between(start, at(2026, 3, 6, 18, 0), Calendar(tz=SHANGHAI)) == 30


def test_the_settings_text_is_parsed_and_nonsense_refused():
    calendar = business_hours.parse("09:00-18:00", "1,2,3,4,5", SHANGHAI)
    assert calendar == OFFICE
    assert business_hours.parse("", "", SHANGHAI).round_the_clock
    assert business_hours.parse("00:00-24:00", "", SHANGHAI).round_the_clock
    for hours, days in (("9-18", ""), ("09:00", ""), ("09:00-09:00", ""), ("", "0,8"), ("", "x")):
        with pytest.raises(ImproperlyConfigured):
            business_hours.parse(hours, days, SHANGHAI)


# --- Targets and deadlines of a ticket ---------------------------------------------------


@pytest.mark.django_db
def test_defaults_serve_until_a_target_is_saved():
    opened = at(2026, 3, 2, 10, 0)
    calendar = Calendar(tz=SHANGHAI)
    first, resolution = tickets.deadlines_for(
        type_="complaint", priority="normal", opened_at=opened, calendar=calendar
    )
    assert (first, resolution) == (at(2026, 3, 2, 12, 0), at(2026, 3, 4, 10, 0))
    ServiceTarget.objects.create(
        type="complaint", priority="normal", first_response_minutes=60, resolution_minutes=600
    )
    first, resolution = tickets.deadlines_for(
        type_="complaint", priority="normal", opened_at=opened, calendar=calendar
    )
    assert (first, resolution) == (at(2026, 3, 2, 11, 0), at(2026, 3, 2, 20, 0))


def test_every_type_and_priority_has_a_sensible_default():
    for type_ in Ticket.Type.values:
        for priority in Ticket.Priority.values:
            first, resolution = tickets.DEFAULT_TARGETS[(type_, priority)]
            assert 0 < first <= resolution
    assert tickets.DEFAULT_TARGETS[("complaint", "normal")] == (120, 48 * 60)
    assert tickets.DEFAULT_TARGETS[("complaint", "urgent")] == (30, 24 * 60)


@pytest.mark.django_db
def test_a_ticket_gets_its_deadlines_in_business_hours_when_configured(settings, monkeypatch):
    settings.MALL_SUPPORT_BUSINESS_HOURS = "09:00-18:00"
    settings.MALL_SUPPORT_WORKDAYS = "1,2,3,4,5"
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 3, 6, 17, 30))  # a Friday evening
    ticket = open_ticket()
    assert ticket.first_response_due == at(2026, 3, 9, 10, 30)
    assert ticket.resolution_due == at(2026, 3, 16, 11, 30)  # 48 working hours later


@pytest.mark.django_db
def test_a_ticket_gets_round_the_clock_deadlines_by_default(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 3, 6, 17, 30))
    ticket = open_ticket()
    assert ticket.first_response_due == at(2026, 3, 6, 19, 30)
    assert ticket.resolution_due == at(2026, 3, 8, 17, 30)


# --- Time left, as the queue shows it ----------------------------------------------------


def test_time_left_reads_like_a_person_would_say_it():
    now = at(2026, 3, 2, 10, 0)
    assert time_left(now + datetime.timedelta(minutes=80), now) == "1 h 20 min left"
    assert time_left(now + datetime.timedelta(minutes=5), now) == "5 min left"
    assert time_left(now + datetime.timedelta(hours=51), now) == "2 d 3 h left"
    assert time_left(now - datetime.timedelta(minutes=35), now) == "overdue 35 min"
    assert time_left(None, now) == ""
