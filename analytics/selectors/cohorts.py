"""Monthly acquisition cohorts: shoppers grouped by the month (shop time) of their first
order that was not cancelled, and for each later month the share of them who ordered
again. One SQL statement whatever the number of months or shoppers."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import connection

MAX_MONTHS = 24

COHORTS_SQL = """
WITH firsts AS (
    SELECT user_id,
           date_trunc('month', min(placed_at) AT TIME ZONE %(tz)s)::date AS cohort
    FROM orders_order
    WHERE status <> 'cancelled'
    GROUP BY user_id
),
active AS (
    SELECT DISTINCT user_id, date_trunc('month', placed_at AT TIME ZONE %(tz)s)::date AS month
    FROM orders_order
    WHERE status <> 'cancelled' AND placed_at >= %(since)s AND placed_at < %(until)s
)
SELECT f.cohort,
       ((extract(year FROM a.month) - extract(year FROM f.cohort)) * 12
        + extract(month FROM a.month) - extract(month FROM f.cohort))::int AS age,
       count(*) AS shoppers
FROM firsts f JOIN active a USING (user_id)
WHERE f.cohort >= %(first_month)s AND f.cohort <= %(last_month)s
GROUP BY 1, 2
ORDER BY 1, 2
"""


def _month_start(day: datetime.date, back: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def monthly_cohorts(*, today: datetime.date, months: int = 12) -> list[dict]:
    """The cohorts of the last ``months`` months (this one included), oldest first: each
    ``{"month", "size", "cells"}`` where ``cells[k]`` is ``(shoppers, percent)`` who
    ordered in the cohort's k-th month after the first (k = 0 is the first month: all of
    them), up to this month. One query."""
    months = max(1, min(MAX_MONTHS, months))
    first_month = _month_start(today, months - 1)
    last_month = _month_start(today, 0)
    zone = settings.TIME_ZONE
    tz = zoneinfo.ZoneInfo(zone)
    since = datetime.datetime.combine(first_month, datetime.time(), tzinfo=tz)
    until = datetime.datetime.combine(_month_start(today, -1), datetime.time(), tzinfo=tz)
    with connection.cursor() as cursor:
        cursor.execute(
            COHORTS_SQL,
            {
                "tz": zone,
                "since": since,
                "until": until,
                "first_month": first_month,
                "last_month": last_month,
            },
        )
        counts = {(cohort, age): shoppers for cohort, age, shoppers in cursor.fetchall()}
    rows = []
    for back in range(months - 1, -1, -1):
        month = _month_start(today, back)
        size = counts.get((month, 0), 0)
        cells = []
        for age in range(back + 1):
            shoppers = counts.get((month, age), 0)
            percent = round(shoppers * 100 / size, 1) if size else None
            cells.append((shoppers, percent))
        rows.append({"month": month, "size": size, "cells": cells})
    return rows
