"""Notifications: a message on the account page and one email, sent once after commit."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from customers import tasks
from customers.models import Notification
from customers.services import notify
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_notification_shows_on_the_account_page_and_reads_once_opened(client):
    shopper = UserFactory()
    notify(user=shopper, title="您的包裹已发货", body="顺丰 SF123", link="/orders/1/")
    client.force_login(shopper)
    account = client.get(reverse("customers:account")).content.decode()
    assert "您的包裹已发货" in account and "1 new" in account
    page = client.get(reverse("customers:messages")).content.decode()
    assert "顺丰 SF123" in page and 'href="/orders/1/"' in page
    assert Notification.objects.get().read_at is not None
    assert "1 new" not in client.get(reverse("customers:account")).content.decode()


def test_the_email_goes_once_after_commit_and_never_for_a_rollback(
    django_capture_on_commit_callbacks,
):
    shopper = UserFactory(email="lin@example.com")
    with django_capture_on_commit_callbacks() as callbacks:
        notification = notify(
            user=shopper, title="已签收", body="您的订单已签收。", link="/orders/9/"
        )
    assert len(callbacks) == 1
    assert tasks.email_notification(notification.pk) is True
    assert tasks.email_notification(notification.pk) is False  # a retried task sends nothing
    [sent] = mail.outbox
    assert sent.to == ["lin@example.com"] and "已签收" in sent.subject and "/orders/9/" in sent.body

    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                notify(user=shopper, title="rolled back")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and not Notification.objects.filter(title="rolled back").exists()


def test_shoppers_without_email_get_the_message_only(django_capture_on_commit_callbacks):
    shopper = UserFactory(email=None)
    with django_capture_on_commit_callbacks() as callbacks:
        notify(user=shopper, title="已发货")
    assert callbacks == [] and Notification.objects.count() == 1


def test_messages_are_private_and_the_page_runs_bounded_queries(
    client, django_assert_max_num_queries
):
    shopper, other = UserFactory(), UserFactory()
    for n in range(30):
        notify(user=other, title=f"别人的消息 {n}", email=False)
    notify(user=shopper, title="我的消息", email=False)
    client.force_login(shopper)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("customers:messages")).content.decode()
    assert "我的消息" in page and "别人的消息" not in page
    client.logout()
    assert client.get(reverse("customers:messages")).status_code == 302
