"""Reads of the RFM scores: the count per segment and a segment's shoppers, each one query."""

from django.db.models import Avg, Count, QuerySet, Sum

from ..models import CustomerScore, Segment


def segment_counts() -> list[dict]:
    """Every segment in the order of ``Segment`` with its shoppers, their share of all
    scored shoppers, and what they spent in the window (sum, average): one query."""
    rows = {
        row["segment"]: row
        for row in CustomerScore.objects.values("segment").annotate(
            shoppers=Count("pk"), spent=Sum("monetary"), average=Avg("monetary")
        )
    }
    total = sum(row["shoppers"] for row in rows.values())
    result = []
    for segment in Segment:
        row = rows.get(segment.value, {"shoppers": 0, "spent": 0, "average": None})
        share = round(row["shoppers"] / total * 100, 1) if total else None
        result.append({**row, "segment": segment, "share": share})
    return result


def segment_members(segment: str) -> QuerySet[CustomerScore]:
    """The shoppers of ``segment``, biggest spenders first, with their accounts joined."""
    return (
        CustomerScore.objects.filter(segment=segment)
        .select_related("user")
        .order_by("-monetary", "user_id")
    )
