import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mall.settings")

application = get_wsgi_application()


def _warm_up() -> None:
    """Import every URLconf (the apps' views with them) and build the reverse tables now,
    while the worker starts, instead of in the first request it serves: that request
    used to pay 2-4 s (a first price saved in the back office took 4.25 s)."""
    from django.urls import get_resolver, reverse
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018  (importing is the point)
    with translation.override("zh-hans"):
        reverse("admin:index")


_warm_up()
