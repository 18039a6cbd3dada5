"""The tracked links of placements: ``/go/<code>`` counts the click and redirects to the
landing page with the placement's UTM parameters (the analytics session keeps them)."""

from django.http import Http404, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..services.campaigns import channels


@require_safe
@never_cache
def go(request, code: str):
    target = channels.follow_link(code=code[:16])
    if target is None:
        raise Http404
    return HttpResponseRedirect(target)
