"""Shared fixtures. The suite runs against the real PostgreSQL and Redis that ``bin/test``
starts (or that DATABASE_URL / REDIS_URL name); nothing here fakes either."""

import os

import pytest
import redis as redis_lib

# A real Celery worker for the tests of scheduled jobs, to every test module.
from tests.worker import worker  # noqa: F401


def pytest_configure(config):
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            f"{' and '.join(missing)} not set: run the suite with bin/test, which starts "
            "PostgreSQL and Redis, or point these variables at running servers."
        )


# The session store (the "sessions" cache) shares the test Redis; its keys start so.
SESSION_KEYS = b"mall-session:"


def _empty_but_sessions(client) -> None:
    """Every key but the sessions: a client signed in before ``redis_client`` was set up
    stays signed in."""
    doomed = [key for key in client.scan_iter(count=1000) if not key.startswith(SESSION_KEYS)]
    for start in range(0, len(doomed), 1000):
        client.delete(*doomed[start : start + 1000])


@pytest.fixture(scope="session", autouse=True)
def _fresh_redis():
    """Nothing in the test Redis from an earlier run (its append-only file keeps keys):
    ids start again with a new test database, and a flash sale's gate or kept row of
    the last run would belong to another sale."""
    client = redis_lib.Redis.from_url(os.environ["REDIS_URL"])
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture
def redis_client(settings):
    """The test Redis, emptied before and after the test (but for the sessions)."""
    client = redis_lib.Redis.from_url(settings.REDIS_URL)
    _empty_but_sessions(client)
    yield client
    _empty_but_sessions(client)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Every test starts with no request counted against any rate limit (django-ratelimit
    keeps its counts in the shared Redis, and every test client comes from 127.0.0.1)."""
    client = redis_lib.Redis.from_url(settings.REDIS_URL)
    try:
        keys = client.keys("*:rl:*")
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _staff_pass_the_second_factor(monkeypatch):
    """``client.force_login(staff)`` also passes the second factor (an authenticator is
    made for them), as signing in through the pages would: tests of pages behind it test
    those pages. tests/customers/test_two_factor.py tests the factor itself, through the
    pages, with ``client.login``."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            from django.utils import timezone

            from customers.services.two_factor import VERIFIED_AT, VERIFIED_USER

            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session[VERIFIED_USER] = user.pk
            session[VERIFIED_AT] = timezone.now().isoformat()
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _test_settings(settings, _media_root):
    # Tests assert on English messages unless they ask for Chinese explicitly.
    settings.LANGUAGE_CODE = "en"
    # Uploaded files of tests land in a throwaway folder, not the project's media/.
    settings.MEDIA_ROOT = str(_media_root)
    # Hashing a test user's password the production way costs a third of a second, and
    # the suite makes thousands of users; what is tested is the login, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests roll their transactions back, so the bumps that invalidate cached pages (on
    # commit) never happen: pages are cached only in the tests of the cache itself
    # (tests/catalog/test_page_cache.py), which commit.
    settings.MALL_PAGE_CACHE = False
    settings.MALL_REFERENCE_CACHE = False
    # Pages record analytics events into Redis; only the analytics tests look at them.
    settings.MALL_ANALYTICS_COLLECT = False


@pytest.fixture
def reference_cache(settings, redis_client):
    """The category tree, attribute schemas and synonyms read from Redis after the first
    request, as in production (the pages themselves still rendered every time): for
    counting the queries a page makes in production. Only for tests that change no
    reference data between requests (tests never commit, so nothing would bump it)."""
    settings.MALL_REFERENCE_CACHE = True
    return redis_client


@pytest.fixture
def rules_kept(settings):
    """The promotion rules a process built stay in use until they change, however long
    setting up the page took on a busy machine (by default they are rebuilt after
    ``MALL_PRICING_RULES_TTL`` seconds, which would add the rebuild's queries to a
    query count)."""
    settings.MALL_PRICING_RULES_TTL = 24 * 3600
