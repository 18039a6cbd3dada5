"""The storefront's frame: public media.

Home and search are goods pages: ``catalog.views.storefront`` serves them under the storefront
namespace; the cart is the orders app's (``orders.views.cart``).
"""

import posixpath

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from django.views.static import serve

# Uploaded files that anyone may see. Everything else in MEDIA_ROOT (suppliers'
# qualification scans) is private and reached only through staff views.
PUBLIC_MEDIA_PREFIXES = ("products/",)


@cache_control(public=True, max_age=31536000, immutable=True)
def public_media(request, path):
    """Product photos, served by the shop so it runs with gunicorn alone; a proxy or CDN
    in front caches them for good (file names are random and never reused)."""
    path = posixpath.normpath(path).lstrip("/")  # "products/../x" must not pass as products/
    if not path.startswith(PUBLIC_MEDIA_PREFIXES):
        raise Http404
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# The language switcher is on every page, anonymous ones included. With a CSRF token in
# its form, every page would set the CSRF cookie and vary on cookies, so no anonymous page
# could be shared from a cache. Changing someone's display language from another site
# harms nobody, and Django's view still only redirects to this site's own pages.
set_language = csrf_exempt(i18n.set_language)


def not_found(request, exception=None):
    """Django's 404, but an address under /api/ that matches no endpoint (``/api/v1/
    products/abc/``) answers in the API's own form, JSON, as the schema says."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)
