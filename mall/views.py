"""The storefront's frame: the cart page and public media.

Home and search are goods pages: ``catalog.views`` serves them under this namespace.
The order issue fills the cart with lines; until then it shows the honest empty state.
"""

import posixpath

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.static import serve

# Uploaded files that anyone may see. Everything else in MEDIA_ROOT (suppliers'
# qualification scans) is private and reached only through staff views.
PUBLIC_MEDIA_PREFIXES = ("products/",)


def cart(request):
    return render(request, "storefront/cart.html", {"lines": []})


@cache_control(public=True, max_age=31536000, immutable=True)
def public_media(request, path):
    """Product photos, served by the shop so it runs with gunicorn alone; a proxy or CDN
    in front caches them for good (file names are random and never reused)."""
    path = posixpath.normpath(path).lstrip("/")  # "products/../x" must not pass as products/
    if not path.startswith(PUBLIC_MEDIA_PREFIXES):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)
