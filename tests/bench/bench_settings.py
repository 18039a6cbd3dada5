"""Settings of the storefront benchmark's gunicorn: the shop's, plus the floor view."""

from mall.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.bench_urls"
