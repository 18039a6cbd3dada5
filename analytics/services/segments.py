"""RFM segments: every shopper who bought in the window scored on recency, frequency and
monetary value, by SQL, and named by segment (重要价值客户, 流失风险, ...).

``build_customer_scores`` replaces the whole ``CustomerScore`` table in one transaction
from one statement: the orders of the last ``MALL_RFM_DAYS`` days that were not cancelled,
per shopper; each measure turned into a quintile score 1-5 by its percent rank (ties share
the lower score, so a crowd of one-order shoppers all score F = 1); then the segment from
high (score >= 3) or low R, F and M. A shopper whose only order ever came in the last
``MALL_RFM_NEW_DAYS`` days is a new customer whatever the scores. Running it again over
the same orders at the same moment gives the same rows.
"""

import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import CustomerScore
from ..models.segments import HIGH

logger = logging.getLogger("analytics.segments")

SCORES_SQL = """
WITH buyers AS (
    SELECT user_id, min(placed_at) AS first_at, max(placed_at) AS last_at,
           count(*) AS frequency, sum(total) AS monetary
    FROM orders_order
    WHERE status <> 'cancelled' AND placed_at >= %(since)s AND placed_at < %(now)s
    GROUP BY user_id
),
scored AS (
    SELECT b.*,
           least(5, 1 + floor(percent_rank() OVER (ORDER BY last_at) * 5))::int AS r,
           least(5, 1 + floor(percent_rank() OVER (ORDER BY frequency) * 5))::int AS f,
           least(5, 1 + floor(percent_rank() OVER (ORDER BY monetary) * 5))::int AS m,
           frequency = 1 AND first_at >= %(new_since)s AND NOT EXISTS (
               SELECT 1 FROM orders_order earlier
               WHERE earlier.user_id = b.user_id AND earlier.placed_at < %(since)s
                 AND earlier.status <> 'cancelled'
           ) AS new
    FROM buyers b
)
INSERT INTO analytics_customerscore (
    user_id, first_order_at, last_order_at, recency_days, frequency, monetary,
    r_score, f_score, m_score, segment, computed_at
)
SELECT user_id, first_at, last_at,
       floor(extract(epoch FROM (%(now)s - last_at)) / 86400)::int, frequency, monetary,
       r, f, m,
       CASE
           WHEN new THEN 'new'
           WHEN r >= %(high)s AND f >= %(high)s AND m >= %(high)s THEN 'important_value'
           WHEN f >= %(high)s AND m >= %(high)s THEN 'important_keep'
           WHEN r >= %(high)s AND m >= %(high)s THEN 'important_develop'
           WHEN m >= %(high)s THEN 'important_win_back'
           WHEN r >= %(high)s AND f >= %(high)s THEN 'promising'
           WHEN f >= %(high)s THEN 'at_risk'
           WHEN r >= %(high)s THEN 'ordinary'
           ELSE 'lost'
       END,
       %(now)s
FROM scored
"""


@transaction.atomic
def build_customer_scores(*, now: datetime.datetime | None = None) -> int:
    """Replace every shopper's RFM score with one computed from the orders of the window
    ending ``now`` (default: this moment); returns how many shoppers were scored.
    Idempotent; readers see the old table until the new one is committed."""
    now = now or timezone.now()
    params = {
        "now": now,
        "since": now - datetime.timedelta(days=settings.MALL_RFM_DAYS),
        "new_since": now - datetime.timedelta(days=settings.MALL_RFM_NEW_DAYS),
        "high": HIGH,
    }
    CustomerScore.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(SCORES_SQL, params)
        scored = cursor.rowcount
    logger.info("customer RFM scores rebuilt", extra={"shoppers": scored})
    return scored
