from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


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
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
