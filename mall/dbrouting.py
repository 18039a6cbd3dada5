"""Reads that scale out: storefront pages read from PostgreSQL streaming replicas.

``DATABASE_REPLICA_URLS`` (comma-separated) adds the aliases ``replica1``, ``replica2``,
... Reads go to a replica only inside a view marked ``@replica_reads`` (the storefront's
listings, search and product pages), outside any transaction, and only for a shopper who
has not just changed something: every other read, checkout and the admin included, and
every write, use the primary. Opting in per view, rather than out, means a new page
never reads a replica by accident.

Read-your-writes: a request that may have written (any method but GET, HEAD, OPTIONS)
sets the cookie ``mall_primary`` for ``MALL_REPLICA_PIN_SECONDS``; while a shopper has it,
their pages read the primary and skip the page cache (another shopper's page could have
been rendered from a replica that had not yet received the change). Pages cached from a
lagging replica are dropped by a second bump of their versions
``MALL_REPLICA_PIN_SECONDS`` after the first (``mall.pagecache``).
"""

import random
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import connections

PIN_COOKIE = "mall_primary"
_SAFE = ("GET", "HEAD", "OPTIONS")
_replica: ContextVar[str | None] = ContextVar("mall_replica", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def pinned(request) -> bool:
    return PIN_COOKIE in request.COOKIES


class ReplicaRouter:
    """Sends a read to the replica chosen for the request, when there is one."""

    def db_for_read(self, model, **hints):
        alias = _replica.get()
        if alias is None or connections["default"].in_atomic_block:
            return None  # the primary
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data, whichever server an object was read from

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def replica_reads(view):
    """Let ``view``'s reads go to a replica (one per request, picked at random)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        aliases = replica_aliases()
        if not aliases or request.method not in _SAFE or pinned(request):
            return view(request, *args, **kwargs)
        token = _replica.set(random.choice(aliases))  # noqa: S311  (load spreading)
        try:
            return view(request, *args, **kwargs)
        finally:
            _replica.reset(token)

    return wrapped


class ReadYourWritesMiddleware:
    """Pins a shopper who may just have written to the primary for a few seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in _SAFE and replica_aliases():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.MALL_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
