"""Shared fixtures. The suite runs against the real PostgreSQL and Redis that ``bin/test``
starts (or that DATABASE_URL / REDIS_URL name); nothing here fakes either."""

import os

import pytest
import redis as redis_lib


def pytest_configure(config):
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            f"{' and '.join(missing)} not set: run the suite with bin/test, which starts "
            "PostgreSQL and Redis, or point these variables at running servers."
        )


@pytest.fixture
def redis_client(settings):
    """The test Redis, emptied before and after the test."""
    client = redis_lib.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


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
    # Pages record analytics events into Redis; only the analytics tests look at them.
    settings.MALL_ANALYTICS_COLLECT = False
