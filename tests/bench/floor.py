"""The framework's floor, for the benchmarks to print beside their figures: the shop's own
WSGI application (same settings, same middleware) with one more URL, ``/bench/floor/``,
a bare Django view that runs one SQL query and answers a few bytes.

    gunicorn tests.bench.floor:application

Only the benchmarks serve it (tests/bench is no part of the shop); a request to it costs
what any request of the shop costs before its view does real work.
"""

import os

import django
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")
django.setup()

FLOOR_PATH = "/bench/floor/"


def floor(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(b"ok", content_type="text/plain")


from mall import urls as shop_urls  # noqa: E402  (after django.setup())

urlpatterns = [path(FLOOR_PATH.strip("/") + "/", floor), *shop_urls.urlpatterns]
settings.ROOT_URLCONF = __name__

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
