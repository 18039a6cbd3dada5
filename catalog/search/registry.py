"""The search backend this shop uses: ``MALL_SEARCH_BACKEND`` (``postgres``, the
embedded default, or ``opensearch`` at ``MALL_SEARCH_URL``)."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import SearchBackend


@cache
def backend() -> SearchBackend:
    name = settings.MALL_SEARCH_BACKEND
    if name == "postgres":
        from .adapters.postgres import PostgresSearch

        return PostgresSearch()
    if name == "opensearch":
        from .adapters.opensearch import OpenSearchSearch

        return OpenSearchSearch(settings.MALL_SEARCH_URL, index=settings.MALL_SEARCH_INDEX)
    raise ImproperlyConfigured(f"Unknown MALL_SEARCH_BACKEND {name!r}: postgres or opensearch.")
