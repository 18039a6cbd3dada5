import ipaddress

from django.conf import settings
from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from . import backups, health


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
