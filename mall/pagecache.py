"""Anonymous pages cached in Redis and invalidated exactly, by version keys.

A cached page is stored under a key made of its path and query, the shopper's language,
the current value of every version key the page depends on, and the last *moment* that
passed (see below). A write that changes what a page shows bumps the version (``bump``,
after its transaction commits), so the next request computes a new key and renders the
page afresh: nobody is served a page from before the change. Old entries are never read
again and expire by themselves (``MALL_PAGE_CACHE_SECONDS``).

Some changes happen by the clock, not by a write: a flash sale starts or ends at its
time. The writes that schedule such times register them as *moments* (``note_moments``);
the key carries the last moment already passed, so at that second every page that
depends on the clock gets a new key.

Only requests that every anonymous shopper would see the same way are cached: GET or
HEAD, no signed-in user, no pending message. A page may contain a CSRF token (a form);
it is stored with a placeholder and each shopper gets their own token when served.

Redis down: pages are rendered as if there were no cache (logged), never an error.
"""

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from functools import wraps

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token

from mall import dbrouting

logger = logging.getLogger("mall.pagecache")

VERSION_KEY = "mall:version:{}"
MOMENTS_KEY = "mall:moments"
PAGE_KEY = "mall:page:{}"
_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
_PLACEHOLDER = b'name="csrfmiddlewaretoken" value="\x00csrf\x00"'

_client: redis.Redis | None = None


def client() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _client


def bump_now(names: Iterable[str]) -> None:
    try:
        pipe = client().pipeline(transaction=False)
        for name in names:
            pipe.incr(VERSION_KEY.format(name))
        pipe.execute()
    except redis.RedisError:
        # The version stays behind: cached pages could outlive this change. Say so loudly;
        # MALL_PAGE_CACHE_SECONDS bounds how long.
        logger.exception("page versions not bumped", extra={"versions": sorted(names)})


def bump(*names: str) -> None:
    """Invalidate every cached page that depends on one of ``names``, once the current
    transaction commits (at once outside one), so that no request can cache a page from
    the data before the commit under the new version."""
    wanted = set(names)
    if not wanted:
        return
    transaction.on_commit(lambda: bump_now(wanted), robust=True)
    if dbrouting.replica_aliases():
        # Once more when every replica has the change: a page another shopper rendered
        # from a replica that was still behind, and cached under the new version, goes.
        from mall.jobs import enqueue_later

        enqueue_later(
            "mall.tasks.bump_page_versions",
            sorted(wanted),
            countdown=settings.MALL_REPLICA_PIN_SECONDS,
        )


def note_moments(moments) -> None:
    """Register the times at which pages change by themselves (an offer starts or ends)."""
    stamps = {str(int(m.timestamp())): int(m.timestamp()) for m in moments if m is not None}
    if not stamps:
        return

    def write():
        try:
            pipe = client().pipeline(transaction=False)
            pipe.zadd(MOMENTS_KEY, stamps)
            # Moments a day old no longer matter for any key.
            pipe.zremrangebyscore(MOMENTS_KEY, "-inf", int(time.time()) - 86400)
            pipe.execute()
        except redis.RedisError:
            logger.exception("page moments not noted")

    transaction.on_commit(write, robust=True)


def state(names: list[str], now: float | None = None) -> tuple:
    """The versions of ``names`` and the last moment passed, in one round trip."""
    now = int(now if now is not None else time.time())
    pipe = client().pipeline(transaction=False)
    pipe.mget([VERSION_KEY.format(name) for name in names])
    pipe.zrevrangebyscore(MOMENTS_KEY, now, "-inf", start=0, num=1)
    versions, last = pipe.execute()
    return (*[v or b"0" for v in versions], last[0] if last else b"-")


def remembered(name: str, version: str, compute):
    """``compute()``, kept in Redis for as long as version key ``version`` stays the same
    (the category tree, the attribute schemas): no query while nothing changed. Computed
    every time when ``MALL_REFERENCE_CACHE`` is off (the tests, which never commit)."""
    if not settings.MALL_REFERENCE_CACHE:
        return compute()
    try:
        current = client().get(VERSION_KEY.format(version)) or b"0"
        key = f"{name}:{current.decode()}"
        value = cache.get(key)
    except redis.RedisError:
        return compute()
    if value is None:
        value = compute()
        cache.set(key, value, settings.MALL_PAGE_CACHE_SECONDS)
    return value


def _cacheable(request) -> bool:
    if not settings.MALL_PAGE_CACHE or request.method not in ("GET", "HEAD"):
        return False
    if "messages" in request.COOKIES or dbrouting.pinned(request):
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True  # no session: anonymous, and no messages kept in one
    # A session (a guest's cart, a signed-in shopper): one lookup tells.
    return not request.user.is_authenticated and not request.session.get("_messages")


def cached_page(versions: Callable[..., list[str]]):
    """Cache a view's 200 answers to anonymous shoppers. ``versions(request, *args,
    **kwargs)`` names the version keys the page depends on."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            try:
                parts = state(versions(request, *args, **kwargs))
            except redis.RedisError:
                logger.warning("page cache unavailable", exc_info=True)
                return view(request, *args, **kwargs)
            raw = "|".join(
                [request.get_full_path(), getattr(request, "LANGUAGE_CODE", "")]
                + [p.decode() for p in parts]
            )
            key = PAGE_KEY.format(hashlib.blake2b(raw.encode(), digest_size=16).hexdigest())
            try:
                hit = client().get(key)
            except redis.RedisError:
                hit = None
            if hit is not None:
                return _served(request, hit)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                body = _TOKEN.sub(_PLACEHOLDER, response.content)
                stored = response.get("Content-Type", "text/html").encode() + b"\n" + body
                try:
                    client().set(key, stored, ex=settings.MALL_PAGE_CACHE_SECONDS)
                except redis.RedisError:
                    logger.warning("page not cached", exc_info=True)
            return response

        return wrapped

    return decorator


def _served(request, stored: bytes) -> HttpResponse:
    content_type, _, body = stored.partition(b"\n")
    if _PLACEHOLDER in body:
        token = get_token(request).encode()
        body = body.replace(_PLACEHOLDER, b'name="csrfmiddlewaretoken" value="' + token + b'"')
    response = HttpResponse(body, content_type=content_type.decode())
    response["X-Page-Cache"] = "hit"
    return response
