"""The first-party beacon (what only the browser sees) and the shopper's choice whether
to be counted."""

import json
import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..services import collection, visits

MAX_BODY = 16 * 1024
MAX_EVENTS = 20
# What the browser may report; everything else it sees the server records itself.
BEACON_NAMES = {"page_view", "recommendation_impression", "recommendation_click"}
_EVENT_ID = re.compile(r"[0-9a-fA-F-]{32,36}")


def _same_origin(request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return url_has_allowed_host_and_scheme(
        origin + "/", allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@csrf_exempt  # JSON from the shop's own origin only; no form can send it cross-site
@require_POST
def beacon(request):
    """Take up to ``MAX_EVENTS`` events (``{"events": [{"id", "name", "path", "product",
    "slot"}]}``) from the shop's own script. Answers 204 whatever is kept (a robot learns
    nothing), 400 for a body that is not such JSON, 403 from another origin. Only a page's
    script can send it: a robot that does not run JavaScript never does, which is how
    the facts tell people from robots."""
    if not _same_origin(request):
        return HttpResponse(status=403)
    if request.content_type != "application/json" or len(request.body) > MAX_BODY:
        return HttpResponseBadRequest()
    try:
        events = json.loads(request.body)["events"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest()
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        return HttpResponseBadRequest()
    visit = getattr(request, "analytics_visit", None)
    if not settings.MALL_ANALYTICS_COLLECT or visit is None or visit.excluded:
        return HttpResponse(status=204)
    for item in events:
        if not isinstance(item, dict) or item.get("name") not in BEACON_NAMES:
            continue
        event_id = str(item.get("id", ""))
        if not _EVENT_ID.fullmatch(event_id):
            continue
        properties = {"event_id": event_id.replace("-", "").lower()}
        if _int(item.get("product")):
            properties["product"] = _int(item["product"])
        for key in ("path", "slot"):
            if isinstance(item.get(key), str):
                properties[key] = item[key][:200]
        visit.used = True
        collection.push(
            collection.build_event(item["name"], properties, visit=visit, source="beacon")
        )
    return HttpResponse(status=204)


def privacy(request):
    """Whether this browser's visits are counted in the shop's statistics: a choice kept
    in a cookie of its own (no account needed), honoured from the next request on."""
    counted = request.COOKIES.get(visits.CONSENT_COOKIE) != "off"
    if request.method == "POST":
        counted = request.POST.get("counted") == "on"
        target = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = request.path
        response = HttpResponseRedirect(target)
        response.set_cookie(
            visits.CONSENT_COOKIE,
            "on" if counted else "off",
            max_age=visits.VISITOR_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        if not counted:
            response.delete_cookie(visits.VISITOR_COOKIE)
            response.delete_cookie(visits.SESSION_COOKIE)
        return response
    signal = request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1"
    return render(request, "analytics/privacy.html", {"counted": counted, "browser_signal": signal})
