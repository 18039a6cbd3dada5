"""Makes the visit of each request known to the event sink (``analytics.services.visits``)
and writes its cookies when an event of it was recorded."""

from django.conf import settings

from .services import visits

# Paths whose requests are never a shopper's visit: the back office, the ticket view,
# files, health checks, the API's documentation and payment providers' callbacks.
UNTRACKED_PREFIXES = (
    "/admin/",
    "/support/",
    "/static/",
    "/media/",
    "/api/schema",
    "/api/docs",
    "/healthz",
    "/readyz",
    "/livez",
    "/payments/notify",
)


class VisitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.MALL_ANALYTICS_COLLECT or request.path.startswith(UNTRACKED_PREFIXES):
            return self.get_response(request)
        visit = visits.visit_of(request)
        visits.resolve_user(visit, request)
        request.analytics_visit = visit
        token = visits.set_current_visit(visit)
        try:
            response = self.get_response(request)
        finally:
            visits.reset_current_visit(token)
        # A page of a counted visit carries the beacon, which will record its view: its
        # cookies are written now, so a campaign's landing page keeps its UTM parameters
        # for the session even when the page itself recorded nothing on the server.
        page = response.get("Content-Type", "").startswith("text/html")
        if not visit.excluded and (visit.used or (page and response.status_code == 200)):
            visits.write_cookies(visit, response)
        return response
