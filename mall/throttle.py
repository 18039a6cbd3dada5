"""Throttling by address (and by other keys) over the shared cache, with django-ratelimit:
one call per guarded step, the rate from settings ("20/h"), the same answer everywhere.

Counts live in Redis (the default cache), so every web process shares them."""

from django.http import HttpResponse
from django_ratelimit.core import get_usage, is_ratelimited


def over_limit(request, *, group: str, rate: str, key="ip", increment: bool = True) -> bool:
    """Count this request against ``group`` for its ``key`` (the client's address by
    default; any django-ratelimit key, or a callable ``(group, request) -> str``) and say
    whether it went over ``rate``."""
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=increment)


def limit_reached(request, *, group: str, rate: str, key="ip") -> bool:
    """Whether ``group`` already counted ``rate``'s full number for this request's key,
    without counting this request: for steps counted only when they fail (a wrong
    password), checked before they are tried."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def too_many_requests(*, body: str = "", retry_after: int = 60) -> HttpResponse:
    response = HttpResponse(body, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
