import logging
import re
import sys
import time
import uuid
from urllib.parse import urlencode

import redis
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import empty
from django.utils.translation import gettext as _
from pghistory.middleware import HistoryMiddleware

from customers.services import two_factor
from mall import audit

logger = logging.getLogger("mall.request")

# A proxy's id (a UUID, a hex string, "Root=1-..." style ids) fits this; anything else
# is the client's own text, which we neither echo nor write into the log.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=-]{1,128}")


class RequestLogMiddleware:
    """Log every request once, as one structured event with its id, status and duration.

    The id comes from an ``X-Request-ID`` header set by a proxy, or is made here; it is
    returned in the response so a shopper's report can be matched to the log line.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request_id
        logger.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
            },
        )
        return response


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except Exception:
        # Loading the user needs the database; when that is down, the response (a 503
        # from /readyz, say) must still go out, with its log line.
        logger.debug("could not load the user for the request log", exc_info=True)
        return None


# --- An unreachable database is a 503, not a 500 --------------------------------------------

# How long a client should wait before asking again: about as long as PostgreSQL takes
# to restart or fail over.
RETRY_AFTER_SECONDS = 30
# What psycopg raises when the server is down, restarting or cut off (and, as
# OperationalError, a deadlock or serialization failure: "try again" fits those too).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# The session store (Redis) unreachable: a request that must write a session (signing
# in) cannot go on either; one that only reads it sees a visitor and goes on.
STORE_UNAVAILABLE = (*DATABASE_UNAVAILABLE, redis.ConnectionError, redis.TimeoutError)


def note_database_outage(sender, request=None, **kwargs):
    """``got_request_exception`` receiver (connected in ops.apps): remember that the
    request failed because the database could not be reached. The signal is sent for an
    exception raised anywhere below the outermost middleware, in DEBUG too."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, STORE_UNAVAILABLE):
        request.database_outage = error


class ServiceUnavailableMiddleware:
    """A request that failed because the database was unreachable is answered 503 with
    ``Retry-After``: JSON for the API, a short translated page (that needs no database)
    for everything else, instead of Django's HTML 500 page. The error is still logged
    by Django as the server error it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, "database_outage", None)
        if error is None or response.status_code < 500:
            return response
        logger.warning("database unavailable: answered 503", extra={"error": repr(error)})
        return service_unavailable(request)


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def service_unavailable(request) -> HttpResponse:
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    with translation.override(language):
        if wants_json(request):
            response = JsonResponse(
                {
                    "detail": _("The shop is briefly unavailable. Please try again in a minute."),
                    "code": "service_unavailable",
                },
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = HttpResponse(
                render_to_string("503.html", {"LANGUAGE_CODE": language}), status=503
            )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class PrivatePagesMiddleware:
    """``Cache-Control: private, no-store`` on every page that is someone's own: the
    account, cart, checkout, order, after-sales and payment pages, the ticket view, the
    admin and the warehouse pages (``PRIVATE_PATHS``), and any answer to a signed-in
    person that set no caching of its own. A shared computer's back button or a proxy
    then never shows one person's orders or a shopper's details to the next."""

    PRIVATE_PATHS = (
        "/accounts/",
        "/cart/",
        "/checkout/",
        "/orders/",
        "/after-sales/",
        "/payments/",
        "/support/",
        "/admin/",
        "/warehouse/",
        "/documents/",
        "/ops/",
        "/api/v1/cart/",
        "/api/v1/checkout/",
        "/api/v1/orders/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        private_path = request.path.startswith(self.PRIVATE_PATHS)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if private_path or (signed_in and not response.has_header("Cache-Control")):
            if response.has_header("Cache-Control") and "public" in response["Cache-Control"]:
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
        return response


class HistoryContextMiddleware(HistoryMiddleware):
    """pghistory's request context (the user and URL behind every row change) without
    loading the user: the id the session names when nothing has read the user yet. A
    request that changes no row (a flash sale's losing crowd) then runs no SQL."""

    def get_context(self, request):
        user = getattr(request, "user", None)
        wrapped = getattr(user, "_wrapped", empty)
        if wrapped is empty:
            session = getattr(request, "session", None)
            pk = session.get(SESSION_KEY) if session is not None else None
            user_id = get_user_model()._meta.pk.to_python(pk) if pk is not None else None
        else:
            user_id = wrapped.pk if wrapped.is_authenticated else None
        return {"user": user_id, "url": request.path}


class AuditContextMiddleware:
    """Names the person and network address behind the request for ``mall.audit`` (a
    record made deep in a service that was not handed the actor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The lazy user itself: read when something is recorded (``audit.acting_user``).
        actor_token = audit.current_actor.set(getattr(request, "user", None))
        address_token = audit.current_address.set(request.META.get("REMOTE_ADDR", "")[:64])
        try:
            return self.get_response(request)
        finally:
            audit.current_actor.reset(actor_token)
            audit.current_address.reset(address_token)


class StaffSessionMiddleware:
    """Staff (``is_staff``) on the back-office pages (``STAFF_PATHS``: the admin, the
    ticket view, the warehouse pages, documents) must have passed the second factor
    (customers.services.two_factor): otherwise they are sent to /accounts/two-factor/ (set
    up on first use). A staff session idle for ``MALL_STAFF_IDLE_MINUTES`` ends: the next
    request signs them out and asks them to sign in again. Neither costs a database
    query: the factor is in the session, the last request's time in Redis. Other paths
    are left alone without even loading the user: the storefront has nothing of the back
    office, and a flash sale's losing crowd must not touch PostgreSQL (so the idle clock
    counts time away from the back office)."""

    STAFF_PATHS = ("/admin/", "/support/", "/warehouse/", "/documents/")
    OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/jsi18n/")
    LAST_SEEN = "mall:staff-last-seen:{session}"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.STAFF_PATHS):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            if self._idle_too_long(request):
                logout(request)
                login_url = reverse("customers:login")
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
            if not request.path.startswith(self.OPEN_PATHS) and not two_factor.is_verified(request):
                target = reverse("customers:two_factor")
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @classmethod
    def seen_key(cls, request) -> str:
        return cls.LAST_SEEN.format(session=request.session.session_key)

    def _idle_too_long(self, request) -> bool:
        """Stamp this request's time; say whether the one before was too long ago."""
        limit = settings.MALL_STAFF_IDLE_MINUTES * 60
        key, now = self.seen_key(request), time.time()
        try:
            last_seen = cache.get(key)
            cache.set(key, now, timeout=limit + 60)
        except Exception:  # Redis away: the session's own expiry still applies
            return False
        return last_seen is not None and now - last_seen > limit
