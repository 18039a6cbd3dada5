"""Who a request's session says is signed in, known without PostgreSQL.

Sessions live in Redis (``SESSION_ENGINE``: the cache backend on the ``sessions`` cache),
so the session alone names the shopper. Django's ``request.user`` goes further: it loads
the user row and checks the session's password hash and the account being active. A
path that must answer a crowd without the database (a flash sale's refusals) takes the
``SessionShopper`` instead, and calls ``resolve()`` (that full check) before it does
anything for the shopper.
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user, get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import SessionAuthentication

from .exceptions import NotSignedIn


class SessionShopper:
    """The shopper a session names (``pk``), not yet read from the database."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, request, pk):
        self._request = request
        self.pk = self.id = pk

    def __repr__(self):
        return f"<SessionShopper {self.pk}>"

    def resolve(self):
        """The user row, after Django's own checks of the session (password hash, active
        account). Raises ``NotSignedIn`` when the session no longer holds."""
        user = get_user(self._request)
        if not user.is_authenticated or user.pk != self.pk:
            raise NotSignedIn()
        return user


def session_shopper(request) -> SessionShopper | None:
    """The shopper ``request``'s session names, or ``None``: one read of the session
    store, no database."""
    session = request.session
    pk = session.get(SESSION_KEY)
    if pk is None or session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        pk = get_user_model()._meta.pk.to_python(pk)
    except Exception:  # a session written by something else: not signed in
        return None
    return SessionShopper(request, pk)


def resolve_user(user):
    """``user`` itself, or the user row a ``SessionShopper`` stands for (checked)."""
    return user.resolve() if isinstance(user, SessionShopper) else user


class SessionShopperAuthentication(SessionAuthentication):
    """DRF authentication by the session alone (with DRF's CSRF check, as its session
    authentication does): ``request.user`` is a ``SessionShopper``. For endpoints whose
    refusals must not touch the database; they call ``resolve_user`` before acting."""

    def authenticate(self, request):
        shopper = session_shopper(request._request)
        if shopper is None:
            return None
        self.enforce_csrf(request)
        return (shopper, None)


class SessionShopperScheme(OpenApiAuthenticationExtension):
    """In the API schema: the session cookie (the same cookie as DRF's cookieAuth)."""

    target_class = SessionShopperAuthentication
    name = "shopperSessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
