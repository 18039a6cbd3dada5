"""The visit behind a request: a first-party visitor id, a session id, the campaign the
session came from, and whether this visitor may be counted at all.

Two cookies, both the shop's own and HttpOnly: ``mall_vid`` (a random visitor id, kept
two years) and ``mall_sid`` (signed: the session id with its UTM source, medium, campaign
and referring site, ending after ``MALL_ANALYTICS_SESSION_MINUTES`` without a request).
A visit with other UTM parameters than its session's starts a new session. The cookies
are written with a page (which carries the beacon) or when the request recorded an event,
and only for a visit that may be counted: staff, robots and shoppers who said no get
none, and neither do payment providers' callbacks (not tracked at all).

A visit is not counted (``excluded`` says why) for staff, for user agents of robots, and
when the shopper said no: the consent cookie ``mall_analytics=off`` (the choice on
/analytics/privacy/), or the browser's Global Privacy Control or Do Not Track signal.
"""

import contextvars
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing

VISITOR_COOKIE = "mall_vid"
SESSION_COOKIE = "mall_sid"
CONSENT_COOKIE = "mall_analytics"
VISITOR_MAX_AGE = 2 * 365 * 24 * 3600
_SIGNING_SALT = "analytics.session"
_ID = re.compile(r"[0-9a-f]{32}")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")

# Robots that say so, and HTTP libraries that browse without a browser. Headless browsers
# count as robots too: a person does not shop headless.
BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|curl|wget|python|httpclient|okhttp|java/|go-http|"
    r"headless|phantomjs|scrapy|yisou|sogou|bytespider|baidu|facebookexternalhit|monitor",
    re.IGNORECASE,
)


@dataclass
class Visit:
    visitor_id: str
    session_id: str
    user_id: int | None
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    referrer_host: str = ""
    excluded: str = ""  # "", "staff", "robot", "consent"
    new_visitor: bool = False
    new_session: bool = False
    used: bool = False  # an event of this visit was recorded: write its cookies
    path: str = field(default="", repr=False)

    @property
    def counted(self) -> bool:
        return not self.excluded

    @property
    def channel(self) -> str:
        return self.utm_source or self.referrer_host or "direct"

    def session_cookie(self) -> str:
        return signing.dumps(
            [
                self.session_id,
                self.utm_source,
                self.utm_medium,
                self.utm_campaign,
                self.referrer_host,
            ],
            salt=_SIGNING_SALT,
            compress=True,
        )


_current: contextvars.ContextVar[Visit | None] = contextvars.ContextVar(
    "analytics_visit", default=None
)


def current_visit() -> Visit | None:
    """The visit of the request being served, ``None`` outside one (a Celery task)."""
    return _current.get()


def set_current_visit(visit: Visit | None):
    return _current.set(visit)


def reset_current_visit(token) -> None:
    _current.reset(token)


def _clean(value: str, limit: int) -> str:
    return "".join(c for c in value if c.isprintable()).strip()[:limit]


def _referrer_host(request) -> str:
    referrer = request.headers.get("Referer", "")
    try:
        host = urlsplit(referrer).hostname or ""
    except ValueError:
        return ""
    own = request.get_host().split(":")[0]
    return "" if host in ("", own) else _clean(host, 200)


def _exclusion(request) -> str:
    agent = request.headers.get("User-Agent", "")
    if not agent or BOT_AGENTS.search(agent):
        return "robot"
    if (
        request.COOKIES.get(CONSENT_COOKIE) == "off"
        or request.headers.get("Sec-GPC") == "1"
        or request.headers.get("DNT") == "1"
    ):
        return "consent"
    return ""


def visit_of(request) -> Visit:
    """The visit of ``request``, from its cookies, query string and headers (no query to
    the database: whether the user is staff is asked only when an event is recorded)."""
    visitor_id = request.COOKIES.get(VISITOR_COOKIE, "")
    new_visitor = not _ID.fullmatch(visitor_id)
    if new_visitor:
        visitor_id = uuid.uuid4().hex
    session = None
    try:
        session = signing.loads(
            request.COOKIES.get(SESSION_COOKIE, ""),
            salt=_SIGNING_SALT,
            max_age=settings.MALL_ANALYTICS_SESSION_MINUTES * 60,
        )
    except signing.BadSignature:
        session = None
    utm = {name: _clean(request.GET.get(name, ""), 100) for name in UTM_FIELDS}
    visit = Visit(visitor_id=visitor_id, session_id="", user_id=None, path=request.path)
    if (
        isinstance(session, list)
        and len(session) == 5
        and _ID.fullmatch(str(session[0]))
        and not (
            utm["utm_source"]
            and (utm["utm_source"], utm["utm_campaign"]) != (session[1], session[3])
        )
    ):
        visit.session_id = session[0]
        visit.utm_source, visit.utm_medium, visit.utm_campaign, visit.referrer_host = (
            str(part)[:200] for part in session[1:]
        )
    else:
        visit.session_id = uuid.uuid4().hex
        visit.new_session = True
        visit.utm_source = utm["utm_source"]
        visit.utm_medium = utm["utm_medium"]
        visit.utm_campaign = utm["utm_campaign"]
        visit.referrer_host = _referrer_host(request)
    visit.new_visitor = new_visitor
    visit.excluded = _exclusion(request)
    return visit


def resolve_user(visit: Visit, request) -> None:
    """Fill in the signed-in user, and exclude staff (their clicks are work, not demand)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        visit.user_id = user.pk
        if user.is_staff and not visit.excluded:
            visit.excluded = "staff"


def write_cookies(visit: Visit, response) -> None:
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        VISITOR_COOKIE,
        visit.visitor_id,
        max_age=VISITOR_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
    response.set_cookie(
        SESSION_COOKIE,
        visit.session_cookie(),
        max_age=settings.MALL_ANALYTICS_SESSION_MINUTES * 60,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )
