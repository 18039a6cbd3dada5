"""Read queries of after-sales for the shopper's pages, the support view, the admin and the
after-sales report: each returns what its page needs in a fixed number of queries,
whatever the number of cases, lines or photos.

(``orders/selectors.py`` is one module; these belong in ``orders/selectors/aftersales.py``
once it becomes a package.)
"""

from django.db.models import Count, Prefetch, QuerySet

from ..models import (
    AfterSalesCase,
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesStatusChange,
    Order,
    OrderLine,
)

_LINES = Prefetch(
    "lines", queryset=AfterSalesLine.objects.select_related("order_line").order_by("pk")
)
_PHOTOS = Prefetch("photos", queryset=AfterSalesPhoto.objects.order_by("pk"))


def cases_of(user) -> QuerySet[AfterSalesCase]:
    """A shopper's cases, newest first, with their order and lines (two queries a page)."""
    return (
        AfterSalesCase.objects.filter(user=user)
        .select_related("order")
        .prefetch_related(_LINES)
        .order_by("-created_at", "-pk")
    )


def case_detail(*, number: str, user=None) -> AfterSalesCase:
    """One case with its order, lines, photos, timeline (actors joined), refund and
    replacement: four queries. With ``user``, only that shopper's case is found (anyone
    else's is ``AfterSalesCase.DoesNotExist``, which pages turn into a 404)."""
    cases = AfterSalesCase.objects.select_related("order", "user", "refund", "replacement")
    if user is not None:
        cases = cases.filter(user=user)
    return cases.prefetch_related(
        _LINES,
        _PHOTOS,
        Prefetch(
            "timeline",
            queryset=AfterSalesStatusChange.objects.select_related("actor").order_by("at", "pk"),
        ),
    ).get(number=number)


def support_queue(*, status: str | None = None) -> QuerySet[AfterSalesCase]:
    """Cases for support, oldest waiting first (the queue is worked in order), with the
    shopper, the order, the lines and the number of photos: two queries a page."""
    cases = (
        AfterSalesCase.objects.select_related("order", "user")
        .prefetch_related(_LINES)
        .annotate(photo_count=Count("photos"))
        .order_by("status_changed_at", "pk")
    )
    if status:
        cases = cases.filter(status=status)
    return cases


def status_counts() -> dict[str, int]:
    """Cases per status, for the queue's tabs: one query."""
    rows = AfterSalesCase.objects.values("status").annotate(count=Count("pk")).order_by()
    return {row["status"]: row["count"] for row in rows}


def previous_cases(case: AfterSalesCase, *, limit: int = 20) -> list[AfterSalesCase]:
    """The shopper's other cases, newest first (one query)."""
    return list(
        AfterSalesCase.objects.filter(user_id=case.user_id)
        .exclude(pk=case.pk)
        .select_related("order")
        .order_by("-created_at", "-pk")[:limit]
    )


def order_lines_of(order: Order) -> list[OrderLine]:
    """The order's lines with their goods (for the request form and the support page)."""
    return list(order.lines.select_related("sku__product").order_by("pk"))
