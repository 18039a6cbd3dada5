"""Background jobs of the kernel."""

from celery import shared_task

from mall.celery import RETRY_POLICY

from . import pagecache


@shared_task(**RETRY_POLICY)
def bump_page_versions(names: list[str]) -> None:
    """Invalidate the cached pages that depend on ``names`` (again, once the replicas
    have caught up with a change). Harmless to run twice."""
    pagecache.bump_now(names)
