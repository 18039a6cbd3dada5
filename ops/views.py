import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_prometheus.exports import ExportToDjangoView

from . import backups, health, privacy


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. No dependency is checked, so a database outage
    does not make the orchestrator restart every web container."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Readiness: the database, Redis, the media store, a Celery worker and Celery beat
    (each by its own heartbeat) all work; each check says what failed."""
    checks = {name: check() for name, check in health.CHECKS.items()}
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks, "backups": _backups()},
        status=200 if ready else 503,
    )


def _backups() -> dict:
    """The age of the last good backup and of the last passed restore drill. Reported,
    not part of readiness (a web process serves shoppers whatever last night's backup
    did); the alert rules in ops/prometheus watch them."""
    try:
        return backups.ages()
    except Exception as exc:  # the database check above reports an outage
        return {"error": f"{type(exc).__name__}"}


@never_cache
@require_GET
def metrics(request):
    """Prometheus' scrape: django-prometheus' request metrics and the shop's own
    (ops.metrics). Only addresses in ``MALL_METRICS_ALLOWED_NETWORKS`` may read them."""
    address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "0.0.0.0"))  # noqa: S104
    if not any(address in network for network in _allowed_networks()):
        return HttpResponseForbidden("metrics are for the monitoring network")
    return ExportToDjangoView(request)


def _allowed_networks():
    return [ipaddress.ip_network(net) for net in settings.MALL_METRICS_ALLOWED_NETWORKS]


@login_required
@require_GET
def download_my_data(request):
    """The shopper's data, everything the shop keeps about them, as a JSON file."""
    response = HttpResponse(
        privacy.personal_data_json(user=request.user), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-mall-data.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def close_my_account(request):
    """Close the account after the password is given again."""
    error = ""
    if request.method == "POST":
        try:
            privacy.close_account(
                request=request, user=request.user, password=request.POST.get("password", "")
            )
        except privacy.CannotClose as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Your account is closed and your personal data erased."))
            return redirect("/")
    return render(request, "ops/close_account.html", {"error": error})
