import logging
import re
import time
import uuid

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
