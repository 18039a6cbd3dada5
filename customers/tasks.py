"""Background jobs of accounts: notification emails, sent after the action commits."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from mall.celery import RETRY_POLICY

from .models import Notification


@shared_task(**{**RETRY_POLICY, "autoretry_for": (OSError,)})
def email_notification(notification_id: int) -> bool:
    """Email a notification to its shopper once (``emailed_at`` is set by a conditional
    UPDATE first, so a retried or duplicated task does not send twice). Returns whether
    it sent. SMTP errors are retried with backoff."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or not notification.user.email:
        return False
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    body = notification.body
    if notification.link:
        body = f"{body}\n\n{settings.MALL_SITE_URL.rstrip('/')}{notification.link}".strip()
    try:
        send_mail(
            subject=f"[{settings.MALL_NAME}] {notification.title}",
            message=body,
            from_email=None,
            recipient_list=[notification.user.email],
        )
    except OSError:
        # Not sent: let the retry claim it again.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
