"""The annual marketing plan: the year's campaigns on a month grid, with their budgets
rolled up per month and quarter, planned against spent.

A campaign's budget is planned over the months it runs in proportion to its time in each
(``mall.money.allocate``: the parts add up to the budget to the cent); what it spent is
its budget ledger (``CampaignSpend``) by the month of each booking, in the shop's time
zone. Cancelled and rejected campaigns are left out. Two queries whatever the number of
campaigns and bookings.
"""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from mall.money import ZERO, allocate, to_money

from ..models import Campaign, CampaignSpend

LEFT_OUT = (Campaign.Status.CANCELLED, Campaign.Status.REJECTED)


def _month_start(year: int, month: int, tz) -> datetime.datetime:
    if month == 13:
        year, month = year + 1, 1
    return datetime.datetime(year, month, 1, tzinfo=tz)


def _months(starts_at, ends_at, tz) -> list[tuple[tuple[int, int], Decimal]]:
    """The (year, month) pairs a period touches, each with its seconds in it."""
    start = timezone.localtime(starts_at, tz)
    year, month = start.year, start.month
    parts = []
    for _step in range(240):  # at most twenty years: a bound on the loop
        begin = _month_start(year, month, tz)
        if begin >= ends_at:
            break
        end = _month_start(year, month + 1, tz)
        seconds = (min(end, ends_at) - max(begin, starts_at)).total_seconds()
        parts.append(((year, month), Decimal(max(seconds, 0))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return parts


def annual_plan(year: int) -> dict:
    """Rows (campaign, its 12 months: planned, spent, whether it runs) and the totals per
    month and per quarter, planned and spent."""
    tz = timezone.get_current_timezone()
    first, after = _month_start(year, 1, tz), _month_start(year + 1, 1, tz)
    campaigns = list(
        Campaign.objects.filter(starts_at__lt=after, ends_at__gt=first)
        .exclude(status__in=LEFT_OUT)
        .select_related("owner")
        .order_by("starts_at", "pk")
    )
    spent: dict[tuple[int, int], Decimal] = {}
    for row in (
        CampaignSpend.objects.filter(
            campaign__in=[c.pk for c in campaigns], at__gte=first, at__lt=after
        )
        .annotate(month=TruncMonth("at", tzinfo=tz))
        .values("campaign_id", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        spent[(row["campaign_id"], row["month"].month)] = row["total"]
    months_planned = [ZERO] * 12
    months_spent = [ZERO] * 12
    rows = []
    for campaign in campaigns:
        parts = _months(campaign.starts_at, campaign.ends_at, tz)
        shares = allocate(campaign.budget, [seconds for _, seconds in parts])
        planned = {m: share for ((y, m), _), share in zip(parts, shares, strict=True) if y == year}
        cells = []
        for month in range(1, 13):
            cell_spent = to_money(spent.get((campaign.pk, month), ZERO))
            cell_planned = planned.get(month, ZERO)
            months_planned[month - 1] += cell_planned
            months_spent[month - 1] += cell_spent
            cells.append(
                {
                    "month": month,
                    "runs": month in planned,
                    "planned": cell_planned,
                    "spent": cell_spent,
                }
            )
        rows.append({"campaign": campaign, "months": cells})
    quarters = [
        {
            "quarter": q + 1,
            "planned": sum(months_planned[3 * q : 3 * q + 3], ZERO),
            "spent": sum(months_spent[3 * q : 3 * q + 3], ZERO),
        }
        for q in range(4)
    ]
    return {
        "year": year,
        "rows": rows,
        "months": [
            {
                "month": m + 1,
                "first": datetime.date(year, m + 1, 1),
                "planned": months_planned[m],
                "spent": months_spent[m],
            }
            for m in range(12)
        ],
        "quarters": quarters,
        "planned": sum(months_planned, ZERO),
        "spent": sum(months_spent, ZERO),
    }
