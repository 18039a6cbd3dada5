"""Outgoing HTTP calls to the shop's outside services (payment providers, carriers), in one
place: one timeout, one error for "could not be reached", the answer's status, headers
and bytes returned as they came (signatures are computed over the exact bytes).

The standard library's ``urllib`` is enough for a few signed POSTs and GETs a minute,
and the sandbox's notification task already uses it; no client library is added for it.
"""

import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings


class Unreachable(Exception):
    """The service did not answer (refused, timed out, broken connection)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    method: str, url: str, *, body: bytes | None = None, headers: dict | None = None
) -> Answer:
    """Send one request and return the answer, whatever its status (a 4xx or 5xx is an
    answer too: the caller reads the service's error). Raises ``Unreachable``."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))  # noqa: S310 (the URL is a configured https endpoint, a local stub in tests)
    try:
        with urllib.request.urlopen(req, timeout=settings.MALL_OUTBOUND_TIMEOUT) as response:  # noqa: S310
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unreachable(f"{method} {url}: {error}") from error
