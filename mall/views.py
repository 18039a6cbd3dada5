"""The storefront's frame: home, search and cart pages.

The catalog and order issues fill these with goods and cart lines; until then they
show the honest empty state a shopper would see in a shop with nothing listed.
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


def home(request):
    return render(request, "storefront/home.html")


def search(request):
    query = request.GET.get("q", "").strip()[:100]
    return render(request, "storefront/search.html", {"query": query, "results": []})


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
