import logging
import time
import uuid

logger = logging.getLogger("mall.request")


class RequestLogMiddleware:
    """Log every request once, as one structured event with its id, status and duration.

    The id comes from an ``X-Request-ID`` header set by a proxy, or is made here; it is
    returned in the response so a shopper's report can be matched to the log line.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        logger.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response
