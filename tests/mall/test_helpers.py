"""The helpers shared across apps: document numbers (mall.numbers), report day bounds and
CSV downloads (mall.reports), the read-only admin pieces (mall.admin.readonly)."""

import csv
import datetime
import io
import re
import zoneinfo

import pytest
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mall import numbers
from mall.admin.readonly import ReadOnlyInline, ReadOnlyMixin
from mall.numbers import new_number
from mall.reports import csv_response, day_bounds
from orders.admin.fulfilment import ShipmentLineInline
from orders.models import Shipment

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 2026-03-06 16:30:05 UTC is already 7 March in Shanghai: numbers carry the local date.
MOMENT = datetime.datetime(2026, 3, 6, 16, 30, 5, tzinfo=datetime.UTC)


@pytest.fixture
def fixed_moment(monkeypatch, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)


# --- Numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "shape"),
    [
        # orders, shipments, after-sales cases, tickets: the local date, then digits
        (lambda: new_number(), r"20260307\d{10}"),
        (lambda: new_number("S", digits=9), r"S20260307\d{9}"),
        (lambda: new_number("AS"), r"AS20260307\d{10}"),
        (lambda: new_number("TK"), r"TK20260307\d{10}"),
        # payments and refunds: the local time to the second
        (lambda: new_number("P", with_time=True), r"P20260307003005\d{10}"),
        (lambda: new_number("R", with_time=True), r"R20260307003005\d{10}"),
        # the sandbox provider's trades and refunds
        (lambda: new_number("SBX", digits=8, with_time=True), r"SBX20260307003005\d{8}"),
        (lambda: new_number("SBXR", digits=8, with_time=True), r"SBXR20260307003005\d{8}"),
    ],
)
def test_numbers_keep_each_documents_shape(fixed_moment, call, shape):
    assert re.fullmatch(shape, call())


def test_the_random_digits_are_zero_padded_to_their_width(fixed_moment, monkeypatch):
    monkeypatch.setattr(numbers.secrets, "randbelow", lambda bound: 42)
    assert new_number("AS") == "AS202603070000000042"
    assert new_number("S", digits=9) == "S20260307000000042"
    assert new_number("SBX", digits=8, with_time=True) == "SBX2026030700300500000042"


def test_the_random_digits_use_their_whole_range(monkeypatch):
    bounds = []
    monkeypatch.setattr(numbers.secrets, "randbelow", lambda bound: bounds.append(bound) or 0)
    new_number()
    new_number(digits=9)
    assert bounds == [10**10, 10**9]


def test_numbers_differ():
    assert len({new_number("TK") for _ in range(50)}) == 50


# --- Day bounds -------------------------------------------------------------------------------


def test_day_bounds_run_from_local_midnight_to_the_midnight_after_the_end(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    begin, until = day_bounds(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert begin == datetime.datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert until == datetime.datetime(2026, 4, 1, tzinfo=SHANGHAI)
    assert begin == datetime.datetime(2026, 2, 28, 16, tzinfo=datetime.UTC)


def test_one_day_bounds_cover_that_day():
    begin, until = day_bounds(datetime.date(2026, 3, 6), datetime.date(2026, 3, 6))
    assert until - begin == datetime.timedelta(days=1)
    assert timezone.is_aware(begin) and timezone.is_aware(until)


# --- CSV downloads ----------------------------------------------------------------------------


def test_csv_response_is_a_utf8_download_with_a_bom_and_empty_cells_for_none():
    response = csv_response(
        "stock-value.csv",
        [gettext_lazy("warehouse"), "数量"],
        iter([["上海仓", 3], ["北京仓", None], [None, 0]]),
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="stock-value.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["warehouse", "数量"],
        ["上海仓", "3"],
        ["北京仓", ""],
        ["", "0"],
    ]


def test_a_csv_with_no_rows_still_has_its_header():
    response = csv_response("empty.csv", ["a", "b"], [])
    assert response.content.decode("utf-8") == "\ufeffa,b\r\n"


# --- Read-only admin --------------------------------------------------------------------------


def test_read_only_admin_pieces_allow_nothing_but_viewing(rf):
    request = rf.get("/")
    mixin = ReadOnlyMixin()
    assert not mixin.has_add_permission(request)
    assert not mixin.has_change_permission(request)
    assert not mixin.has_delete_permission(request)
    assert ReadOnlyInline.extra == 0 and ReadOnlyInline.can_delete is False


def test_a_read_only_inline_shows_its_fields_read_only(rf):
    inline = ShipmentLineInline(Shipment, admin.site)
    assert inline.get_readonly_fields(rf.get("/")) == inline.fields
