"""Pieces every back-office report needs, whichever app it lives in: the moments that bound
a range of local days, and the CSV download."""

import csv
import datetime
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone

from . import audit


def day_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware moments at which local day ``start`` begins and the day after ``end``
    begins: a report from ``start`` to ``end`` (both included) takes what happened at or
    after the first and before the second."""
    begin = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    until = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min)
    )
    return begin, until


def csv_response(filename: str, header: Iterable, rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download named ``filename``: the ``header`` row (labels may be lazy
    translations), then ``rows``, with empty cells for ``None``."""
    audit.record("export.download", filename=filename)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet programs read the Chinese names right
    writer = csv.writer(response)
    writer.writerow([str(label) for label in header])
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return response
