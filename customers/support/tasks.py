"""Background jobs of customer service: ticket deadlines, follow-up reminders, auto-closing.
Thin wrappers around ``customers.support.services``; each is safe to run again."""

from celery import shared_task

from mall.celery import RETRY_POLICY

from .services import tickets


@shared_task(**RETRY_POLICY)
def escalate_tickets() -> dict[str, int]:
    """Every few minutes: escalate tickets about to miss a deadline, record missed
    deadlines, remind agents of due follow-up calls (each once; safe to run again)."""
    return tickets.escalate_due_tickets()


@shared_task(**RETRY_POLICY)
def close_resolved_tickets() -> int:
    """Hourly: close tickets resolved more than MALL_SUPPORT_AUTO_CLOSE_DAYS ago."""
    return tickets.close_resolved_tickets()
