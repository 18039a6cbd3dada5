"""The counting page for warehouse staff, made for a phone held in one hand.

Counting is blind: the page never shows the book quantity, so a counter writes down what
is on the shelf, not what the system hopes for. A scanner types a barcode into the "find"
box and presses Enter, which narrows the page to that line; saving returns to the page
(POST, redirect, GET) with the find box ready for the next scan. Every write goes through
``catalog.services.stocktake``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog.exceptions import CatalogError
from catalog.models import Stocktake, StocktakeLine
from catalog.selectors import stocktake as selectors
from catalog.services import stocktake as stocktakes
from mall.statemachine import IllegalTransition

LINES_PER_PAGE = 50
COUNTERS = "catalog.change_stocktakeline"


def counters_only(view):
    """Log in first; then only those who count (403 for everyone else)."""
    return login_required(permission_required(COUNTERS, raise_exception=True)(view))


@counters_only
def stocktake_list(request):
    return render(
        request,
        "catalog/stocktake/list.html",
        {"stocktakes": selectors.active_stocktakes()},
    )


def _count_url(stocktake_pk: int) -> str:
    return reverse("stocktake:count", args=[stocktake_pk])


@counters_only
@require_http_methods(["GET", "POST"])
def stocktake_count(request, pk):
    if request.method == "POST":
        return _save_count(request, pk)
    stocktake = get_object_or_404(
        selectors.with_progress(Stocktake.objects.select_related("warehouse")), pk=pk
    )
    find = request.GET.get("find", "").strip()[:40]
    lines = selectors.lines_to_count(stocktake, find=find)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("p"))
    return render(
        request,
        "catalog/stocktake/count.html",
        {
            "stocktake": stocktake,
            "counting": stocktake.status == Stocktake.Status.COUNTING,
            "page": page,
            "find": find,
        },
    )


def _save_count(request, pk):
    line_id = request.POST.get("line", "")
    line = get_object_or_404(
        StocktakeLine.objects.select_related("stock__sku"),
        pk=int(line_id) if line_id.isdigit() else 0,
        stocktake_id=pk,
    )
    raw = request.POST.get("counted", "").strip()
    code = line.stock.sku.code
    if not raw.isdigit():
        messages.error(
            request,
            _("%(code)s: enter the counted quantity as a whole number, 0 or more.")
            % {"code": code},
        )
        return HttpResponseRedirect(f"{_count_url(pk)}?{urlencode({'find': code})}")
    try:
        stocktakes.record_count(line=line, counted=int(raw), actor=request.user)
    except CatalogError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(code)s: %(counted)s counted.") % {"code": code, "counted": int(raw)}
        )
    return HttpResponseRedirect(_count_url(pk))


@counters_only
@require_POST
def stocktake_submit(request, pk):
    stocktake = get_object_or_404(Stocktake, pk=pk)
    try:
        stocktakes.submit_stocktake(stocktake=stocktake, actor=request.user)
    except (CatalogError, IllegalTransition) as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(_count_url(pk))
    messages.success(
        request,
        _("%(stocktake)s is submitted: a manager will review and approve it.")
        % {"stocktake": stocktake},
    )
    return HttpResponseRedirect(reverse("stocktake:list"))
