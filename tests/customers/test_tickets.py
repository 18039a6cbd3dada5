"""Ticket services: opening (links, VIP routing, phone tickets), the conversation, every
transition and the illegal ones, rating, follow-ups, and the deadlines job (escalation
once, breaches once, follow-up reminders, auto-close), once through a real worker."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers import tasks as account_tasks
from customers.models import Notification
from customers.support import business_hours, tasks
from customers.support.models import FollowUp, Ticket, TicketAttachment, TicketBreach, TicketMessage
from customers.support.services import tickets
from customers.support.services.tickets import AttachmentRefused, TicketError
from mall.statemachine import IllegalTransition
from tests.catalog.test_tasks import worker  # noqa: F401  (the in-process Celery worker)
from tests.clocks import MID_MONTH
from tests.concurrency import race
from tests.customers.factories import UserFactory
from tests.customers.ticket_helpers import (
    agent,
    backdate,
    due_in,
    jpeg,
    open_ticket,
    pdf,
    staff,
    supervisor,
)
from tests.orders.factories import listed_sku, place

Status = Ticket.Status

pytestmark = pytest.mark.django_db


def steps(ticket):
    return list(ticket.timeline.values_list("transition", "from_state", "to_state"))


# --- Opening --------------------------------------------------------------------------------------


def test_a_shopper_opens_a_ticket_with_its_first_message_and_timeline():
    shopper = UserFactory()
    ticket = open_ticket(shopper, priority="urgent", channel="phone", attachments=[jpeg()])
    assert ticket.number.startswith("TK") and len(ticket.number) == 20
    assert (ticket.status, ticket.channel, ticket.priority) == ("new", "web", "normal")
    assert ticket.assignee is None and ticket.first_response_at is None
    assert steps(ticket) == [("open", "", "new")]
    message = ticket.messages.get()
    assert message.author == shopper and not message.internal
    attachment = message.attachments.get()
    assert attachment.name == "photo.jpg"
    assert attachment.file.name.startswith(
        f"tickets/{ticket.pk}/"
    ) and attachment.file.name.endswith(".jpg")


def test_attachments_are_checked_by_content():
    shopper = UserFactory()
    ticket = open_ticket(shopper, attachments=[pdf()])
    assert ticket.messages.get().attachments.get().file.name.endswith(".pdf")
    script = SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", "image/jpeg")
    with pytest.raises(AttachmentRefused) as refused:
        open_ticket(shopper, attachments=[script])
    assert "evil.jpg" in str(refused.value)
    with pytest.raises(AttachmentRefused):
        open_ticket(shopper, attachments=[jpeg(f"{n}.jpg") for n in range(6)])
    assert Ticket.objects.count() == 1


def test_empty_subjects_and_messages_are_refused():
    with pytest.raises(TicketError):
        open_ticket(subject="  ")
    with pytest.raises(TicketError):
        open_ticket(body="")
    assert not Ticket.objects.exists()


def test_links_must_be_the_shoppers_own():
    tea = listed_sku(stock=10)
    mine = place(items=[(tea, 1)])
    theirs = place(items=[(tea, 1)])
    shopper = mine.user
    ticket = open_ticket(shopper, order=mine, product=tea.product)
    assert (ticket.order, ticket.product) == (mine, tea.product)
    with pytest.raises(TicketError, match="not yours"):
        open_ticket(shopper, order=theirs)
    tea.product.status = "delisted"
    tea.product.save(update_fields=["status"])
    stranger = UserFactory()
    with pytest.raises(TicketError, match="not on sale"):
        open_ticket(stranger, product=tea.product)
    # Bought goods may be asked about even once delisted.
    assert open_ticket(shopper, product=tea.product).product == tea.product


def test_nobody_opens_a_ticket_for_someone_else_without_working_tickets():
    shopper, other = UserFactory(), UserFactory()
    with pytest.raises(PermissionDenied):
        tickets.open_ticket(actor=other, shopper=shopper, type_="complaint", subject="x", body="y")
    operator = staff("operator")
    with pytest.raises(PermissionDenied):
        tickets.open_ticket(
            actor=operator,
            shopper=shopper,
            type_="complaint",
            subject="x",
            body="y",
            channel="phone",
        )


def test_an_agent_records_a_phone_call_as_an_answered_ticket_of_their_own():
    shopper, worker_ = UserFactory(), agent()
    ticket = tickets.open_ticket(
        actor=worker_,
        shopper=shopper,
        type_="complaint",
        priority="urgent",
        channel="phone",
        subject="电话投诉：快递员态度差",
        body="顾客来电反映快递员态度差。",
    )
    assert (ticket.status, ticket.assignee, ticket.priority) == ("assigned", worker_, "urgent")
    assert ticket.first_response_at is not None
    assert steps(ticket) == [("open", "", "new"), ("assign", "new", "assigned")]
    assert ticket.first_response_due - ticket.created_at == datetime.timedelta(minutes=30)
    with pytest.raises(TicketError):
        tickets.open_ticket(
            actor=worker_, shopper=shopper, type_="complaint", subject="x", body="y", channel="web"
        )


def test_a_vip_shoppers_ticket_goes_to_their_dedicated_agent_at_once():
    dedicated = agent()
    vip = UserFactory(is_vip=True, dedicated_agent=dedicated)
    ticket = open_ticket(vip)
    assert (ticket.status, ticket.assignee) == ("assigned", dedicated)
    entry = ticket.timeline.get(transition="assign")
    assert entry.actor is None and "VIP" in entry.reason
    assert Notification.objects.filter(user=dedicated, link__contains=ticket.number).exists()


def test_a_vip_whose_agent_left_support_waits_in_the_queue():
    former = UserFactory(is_staff=True)  # no support role any more
    vip = UserFactory(is_vip=True, dedicated_agent=former)
    assert open_ticket(vip).status == "new"
    plain = UserFactory(dedicated_agent=agent())  # not a VIP (the flag decides)
    assert open_ticket(plain).status == "new"


# --- The conversation -----------------------------------------------------------------------------


def test_an_agents_first_reply_takes_the_ticket_and_is_the_first_response(
    django_capture_on_commit_callbacks,
):
    shopper, worker_ = UserFactory(email="lin@example.com"), agent()
    ticket = open_ticket(shopper)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tickets.reply(ticket=ticket, actor=worker_, body="您好，我们正在处理。")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("assigned", worker_)
    first = ticket.first_response_at
    assert first is not None and not ticket.breaches.exists()
    notice = Notification.objects.get(user=shopper)
    assert ticket.number in notice.title and notice.link == f"/accounts/tickets/{ticket.number}/"
    assert len(callbacks) == 1  # the email, after commit
    assert account_tasks.email_notification(notice.pk) is True
    assert mail.outbox[0].to == ["lin@example.com"]

    tickets.reply(ticket=ticket, actor=worker_, body="补充说明")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first  # once


def test_waiting_for_the_customer_and_their_answer():
    shopper, worker_ = UserFactory(), agent()
    ticket = open_ticket(shopper)
    tickets.reply(ticket=ticket, actor=worker_, body="请提供照片", wait_for_customer=True)
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting"
    tickets.reply(ticket=ticket, actor=shopper, body="照片见附件", attachments=[jpeg()])
    ticket.refresh_from_db()
    assert ticket.status == "assigned"
    assert steps(ticket)[-2:] == [
        ("wait_for_customer", "assigned", "waiting"),
        ("customer_replied", "waiting", "assigned"),
    ]


def _waited(ticket, *, minutes):
    """Pretend the ticket has been waiting for the customer for ``minutes``."""
    since = timezone.now() - datetime.timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(waiting_since=since)


# The tests of waiting count its minutes to the minute; on a running clock a slow run
# adds the seconds between backdating and the service's own now(). Their clock stands
# still at a known moment: a Wednesday morning, in business hours where they apply.
STOPPED_CLOCK = pytest.mark.time_machine(MID_MONTH, tick=False)


@STOPPED_CLOCK
def test_the_resolution_clock_stops_while_waiting_for_the_customer():
    shopper, worker_ = UserFactory(), agent()
    ticket = open_ticket(shopper)
    tickets.reply(ticket=ticket, actor=worker_, body="请提供照片", wait_for_customer=True)
    ticket.refresh_from_db()
    due = ticket.resolution_due
    assert ticket.waiting_since is not None
    _waited(ticket, minutes=300)

    tickets.reply(ticket=ticket, actor=shopper, body="照片见附件")

    ticket.refresh_from_db()
    moved = ticket.resolution_due - due
    assert datetime.timedelta(minutes=300) <= moved < datetime.timedelta(minutes=301)
    assert ticket.waiting_since is None
    # Waiting again, then resolved from there: the second pause counts too.
    tickets.reply(ticket=ticket, actor=worker_, body="还需要订单截图", wait_for_customer=True)
    _waited(ticket, minutes=60)
    tickets.resolve(ticket=ticket, actor=worker_)
    ticket.refresh_from_db()
    moved = ticket.resolution_due - due
    assert datetime.timedelta(minutes=360) <= moved < datetime.timedelta(minutes=362)


@STOPPED_CLOCK
def test_only_working_minutes_of_a_wait_move_the_deadline(settings):
    settings.MALL_SUPPORT_BUSINESS_HOURS = "09:00-18:00"
    settings.MALL_SUPPORT_WORKDAYS = "1,2,3,4,5"
    shopper, worker_ = UserFactory(), agent()
    ticket = open_ticket(shopper)
    tickets.reply(ticket=ticket, actor=worker_, body="请提供照片", wait_for_customer=True)
    ticket.refresh_from_db()
    due = ticket.resolution_due
    since = timezone.now() - datetime.timedelta(days=3)
    Ticket.objects.filter(pk=ticket.pk).update(waiting_since=since)
    calendar = business_hours.from_settings()
    worked = business_hours.working_minutes_between(since, timezone.now(), calendar)
    assert worked < 3 * 24 * 60

    tickets.reply(ticket=ticket, actor=shopper, body="照片见附件")

    ticket.refresh_from_db()
    assert ticket.resolution_due == business_hours.add_working_minutes(due, worked, calendar)


@STOPPED_CLOCK
def test_a_ticket_waiting_for_the_customer_is_neither_escalated_nor_breached():
    shopper, worker_ = UserFactory(), agent()
    ticket = open_ticket(shopper)
    tickets.reply(ticket=ticket, actor=worker_, body="请提供照片", wait_for_customer=True)
    due_in(ticket, resolution=-30)  # it would be late, were the clock running
    _waited(ticket, minutes=120)

    assert tickets.escalate_due_tickets() == {"escalated": 0, "breaches": 0, "follow_ups": 0}

    tickets.reply(ticket=ticket, actor=shopper, body="照片见附件")
    ticket.refresh_from_db()
    # Two hours of waiting moved the deadline from 30 min ago to 90 min ahead.
    left = ticket.resolution_due - timezone.now()
    assert datetime.timedelta(minutes=88) < left <= datetime.timedelta(minutes=90)
    assert not TicketBreach.objects.exists()


def test_a_late_first_response_is_a_breach_recorded_once():
    ticket = backdate(open_ticket(), minutes=180)  # complaint: due 2 h after opening
    worker_ = agent()
    tickets.reply(ticket=ticket, actor=worker_, body="抱歉久等")
    tickets.reply(ticket=ticket, actor=worker_, body="再补充")
    breach = TicketBreach.objects.get()
    assert (breach.kind, breach.ticket, breach.assignee) == ("first_response", ticket, worker_)


def test_notes_are_internal_and_only_staff_write_them():
    ticket = open_ticket()
    note = tickets.add_note(ticket=ticket, actor=agent(), body="顾客情绪激动，注意语气")
    assert note.internal
    with pytest.raises(PermissionDenied):
        tickets.add_note(ticket=ticket, actor=ticket.shopper, body="x")
    assert not Notification.objects.filter(user=ticket.shopper).exists()


def test_strangers_operators_and_warehouse_staff_cannot_act_as_agents():
    ticket = open_ticket()
    for outsider in (UserFactory(), staff("operator"), staff("warehouse"), staff("analyst")):
        for action, kwargs in (
            (tickets.reply, {"body": "hi"}),
            (tickets.add_note, {"body": "hi"}),
            (tickets.assign, {}),
            (tickets.escalate, {}),
            (tickets.resolve, {}),
            (tickets.reopen, {}),
            (tickets.close, {}),
        ):
            with pytest.raises(PermissionDenied):
                action(ticket=ticket, actor=outsider, **kwargs)
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 1


# --- Transitions ----------------------------------------------------------------------------------


def test_the_whole_life_of_a_ticket_is_on_its_timeline(settings):
    settings.MALL_SUPPORT_FOLLOW_UP_DAYS = 3
    worker_ = agent()
    ticket = open_ticket()
    tickets.assign(ticket=ticket, actor=worker_)
    tickets.reply(ticket=ticket, actor=worker_, body="请稍等", wait_for_customer=True)
    tickets.reply(ticket=ticket, actor=ticket.shopper, body="好的")
    tickets.escalate(ticket=ticket, actor=worker_, reason="需要主管批准赔偿")
    tickets.resolve(ticket=ticket, actor=worker_, note="已补发")
    tickets.reopen(ticket=ticket, actor=worker_, reason="顾客说还没收到")
    tickets.resolve(ticket=ticket, actor=worker_)
    tickets.close(ticket=ticket, actor=worker_)
    ticket.refresh_from_db()
    assert steps(ticket) == [
        ("open", "", "new"),
        ("assign", "new", "assigned"),
        ("wait_for_customer", "assigned", "waiting"),
        ("customer_replied", "waiting", "assigned"),
        ("escalate", "assigned", "assigned"),
        ("resolve", "assigned", "resolved"),
        ("reopen", "resolved", "assigned"),
        ("resolve", "assigned", "resolved"),
        ("close", "resolved", "closed"),
    ]
    assert ticket.reopened == 1 and ticket.resolved_at and ticket.closed_at
    assert ticket.escalated_at is not None
    assert all(entry.actor for entry in ticket.timeline.all())


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("new", tickets.close),
        ("new", tickets.reopen),
        ("assigned", tickets.close),
        ("waiting", tickets.reopen),
        ("resolved", tickets.resolve),
        ("resolved", tickets.assign),
        ("closed", tickets.resolve),
        ("closed", tickets.close),
    ],
)
def test_illegal_transitions_are_refused_with_a_readable_message(status, action):
    ticket = open_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    with pytest.raises(IllegalTransition) as refused:
        action(ticket=ticket, actor=supervisor())
    assert ticket.number in str(refused.value)
    assert Ticket.objects.get(pk=ticket.pk).status == status


def test_agents_reply_only_to_open_tickets_and_shoppers_not_to_closed_ones():
    worker_ = agent()
    ticket = open_ticket()
    tickets.resolve(ticket=ticket, actor=worker_)
    with pytest.raises(TicketError):
        tickets.reply(ticket=ticket, actor=worker_, body="x")
    # The shopper's reply to a resolved ticket reopens it.
    tickets.reply(ticket=ticket, actor=ticket.shopper, body="还是不行")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened, ticket.resolved_at) == ("assigned", 1, None)
    tickets.resolve(ticket=ticket, actor=worker_)
    tickets.close(ticket=ticket, actor=ticket.shopper)
    with pytest.raises(TicketError):
        tickets.reply(ticket=ticket, actor=ticket.shopper, body="x")
    with pytest.raises(TicketError):
        tickets.reopen(ticket=ticket, actor=ticket.shopper)


def test_taking_someone_elses_ticket_or_giving_one_away_needs_a_supervisor():
    first, second, boss = agent(), agent(), supervisor()
    ticket = open_ticket()
    tickets.assign(ticket=ticket, actor=first)
    with pytest.raises(PermissionDenied):
        tickets.assign(ticket=ticket, actor=second)
    with pytest.raises(PermissionDenied):
        tickets.assign(ticket=ticket, actor=first, agent=second)
    tickets.assign(ticket=ticket, actor=boss, agent=second)
    ticket.refresh_from_db()
    assert ticket.assignee == second
    assert Notification.objects.filter(user=second, link__contains=ticket.number).exists()
    with pytest.raises(TicketError):
        tickets.assign(ticket=ticket, actor=boss, agent=staff("operator"))
    # Assigning to the current agent changes nothing.
    count = ticket.timeline.count()
    tickets.assign(ticket=ticket, actor=second)
    assert ticket.timeline.count() == count


def test_a_resolution_without_a_reply_counts_as_the_first_response_and_tells_the_shopper():
    worker_ = agent()
    ticket = open_ticket(type_="consultation")
    tickets.resolve(ticket=ticket, actor=worker_, note="电话已解答")
    ticket.refresh_from_db()
    assert ticket.first_response_at == ticket.resolved_at
    assert ticket.assignee == worker_
    assert not FollowUp.objects.exists()  # only complaints get a follow-up call
    assert Notification.objects.filter(user=ticket.shopper, title__contains="resolved").exists()


def test_a_late_resolution_is_a_breach():
    worker_ = agent()
    ticket = open_ticket()
    tickets.reply(ticket=ticket, actor=worker_, body="处理中")
    Ticket.objects.filter(pk=ticket.pk).update(
        resolution_due=timezone.now() - datetime.timedelta(minutes=1)
    )
    ticket.refresh_from_db()
    tickets.resolve(ticket=ticket, actor=worker_)
    assert list(TicketBreach.objects.values_list("kind", flat=True)) == ["resolution"]


# --- Follow-ups and rating ------------------------------------------------------------------------


def test_a_resolved_complaint_gets_one_follow_up_for_its_agent(settings):
    settings.MALL_SUPPORT_FOLLOW_UP_DAYS = 3
    worker_, boss = agent(), supervisor()
    ticket = open_ticket()
    tickets.assign(ticket=ticket, actor=worker_)
    tickets.resolve(ticket=ticket, actor=worker_)
    follow_up = FollowUp.objects.get()
    assert follow_up.agent == worker_
    assert abs(
        follow_up.due_at - ticket.resolved_at - datetime.timedelta(days=3)
    ) < datetime.timedelta(seconds=1)
    # Reopened and resolved again: still one follow-up, due from the new resolution.
    tickets.reopen(ticket=ticket, actor=worker_)
    tickets.resolve(ticket=ticket, actor=worker_)
    assert FollowUp.objects.count() == 1
    with pytest.raises(PermissionDenied):
        tickets.complete_follow_up(follow_up=follow_up, actor=agent(), note="x")
    tickets.complete_follow_up(follow_up=follow_up, actor=worker_, note="顾客满意")
    follow_up.refresh_from_db()
    assert follow_up.done_at and follow_up.note == "顾客满意"
    with pytest.raises(TicketError):
        tickets.complete_follow_up(follow_up=follow_up, actor=boss)


def test_the_shopper_rates_once_only_when_resolved():
    worker_ = agent()
    ticket = open_ticket()
    with pytest.raises(TicketError):
        tickets.rate(ticket=ticket, actor=ticket.shopper, rating=5)
    tickets.resolve(ticket=ticket, actor=worker_)
    with pytest.raises(PermissionDenied):
        tickets.rate(ticket=ticket, actor=worker_, rating=5)
    with pytest.raises(PermissionDenied):
        tickets.rate(ticket=ticket, actor=UserFactory(), rating=5)
    for bad in (0, 6, "5"):
        with pytest.raises(TicketError):
            tickets.rate(ticket=ticket, actor=ticket.shopper, rating=bad)
    tickets.rate(ticket=ticket, actor=ticket.shopper, rating=4, comment=" 还不错 ")
    with pytest.raises(TicketError, match="already"):
        tickets.rate(ticket=ticket, actor=ticket.shopper, rating=1)
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment) == (4, "还不错") and ticket.rated_at
    # A closed ticket not yet rated can still be rated.
    other = open_ticket()
    tickets.resolve(ticket=other, actor=worker_)
    tickets.close(ticket=other, actor=None)
    tickets.rate(ticket=other, actor=other.shopper, rating=2)


# --- Priority ----------------------------------------------------------------------------------


def test_a_new_priority_counts_the_deadlines_again_from_the_opening():
    worker_ = agent()
    ticket = open_ticket(priority=Ticket.Priority.NORMAL)
    opened = ticket.created_at

    tickets.change_priority(
        ticket=ticket, actor=worker_, priority=Ticket.Priority.URGENT, reason="顾客要投诉到 12315"
    )

    ticket.refresh_from_db()
    urgent = tickets.deadlines_for(type_=ticket.type, priority="urgent", opened_at=opened)
    assert ticket.priority == "urgent"
    assert (ticket.first_response_due, ticket.resolution_due) == urgent
    entry = ticket.timeline.get(transition="priority")
    assert (entry.actor, entry.from_state, entry.to_state) == (worker_, "new", "new")
    assert entry.reason == "Normal → Urgent: 顾客要投诉到 12315"

    # Answered already: the first response keeps its deadline, the resolution follows.
    tickets.reply(ticket=ticket, actor=worker_, body="马上处理")
    ticket.refresh_from_db()
    answered_due = ticket.first_response_due
    tickets.change_priority(ticket=ticket, actor=worker_, priority="low", reason="已安抚")
    ticket.refresh_from_db()
    low = tickets.deadlines_for(type_=ticket.type, priority="low", opened_at=opened)
    assert (ticket.first_response_due, ticket.resolution_due) == (answered_due, low[1])


@STOPPED_CLOCK
def test_a_new_priority_keeps_the_time_the_ticket_waited_for_the_customer():
    shopper, worker_ = UserFactory(), agent()
    ticket = open_ticket(shopper, priority=Ticket.Priority.NORMAL)
    tickets.reply(ticket=ticket, actor=worker_, body="请提供照片", wait_for_customer=True)
    _waited(ticket, minutes=120)
    tickets.reply(ticket=ticket, actor=shopper, body="照片见附件")
    ticket.refresh_from_db()
    assert 120 <= ticket.paused_minutes <= 121

    tickets.change_priority(ticket=ticket, actor=worker_, priority="high", reason="加急")

    ticket.refresh_from_db()
    high = tickets.deadlines_for(
        type_=ticket.type,
        priority="high",
        opened_at=ticket.created_at,
        paused_minutes=ticket.paused_minutes,
    )
    assert ticket.resolution_due == high[1]
    without_wait = tickets.deadlines_for(
        type_=ticket.type, priority="high", opened_at=ticket.created_at
    )[1]
    assert ticket.resolution_due - without_wait >= datetime.timedelta(minutes=120)


def test_a_priority_change_is_refused_with_nothing_changed():
    worker_ = agent()
    ticket = open_ticket(priority=Ticket.Priority.NORMAL)
    before = (ticket.priority, ticket.first_response_due, ticket.resolution_due)
    for priority, reason in (("high", " "), ("normal", "同样"), ("whenever", "x")):
        with pytest.raises(TicketError):
            tickets.change_priority(ticket=ticket, actor=worker_, priority=priority, reason=reason)
    for outsider in (ticket.shopper, staff("operator")):
        with pytest.raises(PermissionDenied):
            tickets.change_priority(ticket=ticket, actor=outsider, priority="high", reason="x")
    tickets.resolve(ticket=ticket, actor=worker_)
    with pytest.raises(TicketError):
        tickets.change_priority(ticket=ticket, actor=worker_, priority="high", reason="x")
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.first_response_due, ticket.resolution_due) == before
    assert not ticket.timeline.filter(transition="priority").exists()


# --- The deadlines job ----------------------------------------------------------------------------


def test_the_job_escalates_once_before_the_first_response_deadline(settings):
    settings.MALL_SUPPORT_ESCALATE_BEFORE_MINUTES = 30
    boss, other_boss = supervisor(email="boss@mall.example"), supervisor()
    soon = due_in(open_ticket(), first=20)
    later = due_in(open_ticket(), first=90)

    assert tickets.escalate_due_tickets() == {"escalated": 1, "breaches": 0, "follow_ups": 0}
    assert tickets.escalate_due_tickets()["escalated"] == 0
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.escalated_at is not None and later.escalated_at is None
    entry = soon.timeline.get(transition="escalate")
    assert entry.actor is None and "first response" in entry.reason
    for person in (boss, other_boss):
        assert (
            Notification.objects.filter(
                user=person, link=f"/support/tickets/{soon.number}/"
            ).count()
            == 1
        )
    assert not Notification.objects.filter(user=soon.shopper, title__contains="escalated").exists()


def test_the_resolution_deadline_is_escalated_again_once():
    worker_ = agent()
    ticket = due_in(open_ticket(), first=10, resolution=600)
    assert tickets.escalate_due_tickets()["escalated"] == 1
    tickets.reply(ticket=ticket, actor=worker_, body="处理中")
    assert tickets.escalate_due_tickets()["escalated"] == 0
    # Hours later, the resolution deadline comes near.
    Ticket.objects.filter(pk=ticket.pk).update(
        escalated_at=timezone.now() - datetime.timedelta(hours=9)
    )
    due_in(ticket, resolution=15)
    assert tickets.escalate_due_tickets()["escalated"] == 1
    assert tickets.escalate_due_tickets()["escalated"] == 0
    assert Ticket.objects.get(pk=ticket.pk).timeline.filter(transition="escalate").count() == 2


def test_answered_waiting_and_resolved_tickets_are_not_escalated_for_the_first_response():
    worker_ = agent()
    answered = open_ticket()
    tickets.reply(ticket=answered, actor=worker_, body="好的", wait_for_customer=True)
    due_in(answered, first=5)
    resolved = open_ticket()
    tickets.resolve(ticket=resolved, actor=worker_)
    due_in(resolved, first=-5, resolution=-1)
    assert tickets.escalate_due_tickets()["escalated"] == 0
    assert not TicketBreach.objects.exists()


def test_missed_deadlines_are_recorded_once_each():
    ticket = backdate(open_ticket(), minutes=50 * 60)  # both deadlines of a complaint passed
    first = tickets.escalate_due_tickets()
    again = tickets.escalate_due_tickets()
    assert first["breaches"] == 2 and again["breaches"] == 0
    assert set(TicketBreach.objects.values_list("kind", flat=True)) == {
        "first_response",
        "resolution",
    }
    # Escalated too, once, although already late.
    assert first["escalated"] == 1 and again["escalated"] == 0
    # The late reply does not add a second first-response breach.
    tickets.reply(ticket=ticket, actor=agent(), body="抱歉")
    assert TicketBreach.objects.count() == 2


def test_due_follow_ups_remind_their_agent_once():
    worker_ = agent()
    ticket = open_ticket()
    tickets.resolve(ticket=ticket, actor=worker_)
    FollowUp.objects.update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    assert tickets.escalate_due_tickets()["follow_ups"] == 1
    assert tickets.escalate_due_tickets()["follow_ups"] == 0
    assert Notification.objects.filter(user=worker_, title__contains="Follow-up").count() == 1


def test_resolved_tickets_close_by_themselves_after_some_days(settings):
    settings.MALL_SUPPORT_AUTO_CLOSE_DAYS = 7
    worker_ = agent()
    old, recent = open_ticket(), open_ticket()
    for ticket in (old, recent):
        tickets.resolve(ticket=ticket, actor=worker_)
    Ticket.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - datetime.timedelta(days=8))
    assert tickets.close_resolved_tickets() == 1
    assert tickets.close_resolved_tickets() == 0
    old.refresh_from_db()
    assert old.status == "closed" and old.timeline.get(transition="close").actor is None
    assert Ticket.objects.get(pk=recent.pk).status == "resolved"


def test_the_beat_runs_the_deadlines_job_every_five_minutes(settings):
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["customers.support.tasks.escalate_tickets"]["schedule"] == 300
    assert "customers.support.tasks.close_resolved_tickets" in schedule
    assert tasks.escalate_tickets.acks_late is True


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_escalates_a_ticket_left_alone_once_and_emails_the_supervisor(
    worker,  # noqa: F811
    transactional_db,
):
    boss = supervisor(email="boss@mall.example")
    ticket = due_in(open_ticket(subject="没人理我"), first=10)

    first = worker.run(tasks.escalate_tickets)
    second = worker.run(tasks.escalate_tickets)

    assert first == {"escalated": 1, "breaches": 0, "follow_ups": 0}
    assert second["escalated"] == 0
    ticket.refresh_from_db()
    assert ticket.escalated_at is not None
    # The email goes after commit, as a task of its own that the worker runs too.
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    [sent] = mail.outbox
    assert sent.to == [boss.email] and ticket.number in sent.subject
    assert TicketMessage.objects.count() == 1 and TicketAttachment.objects.count() == 0


# --- The admin -----------------------------------------------------------------------------------


def test_two_deadline_jobs_at_once_escalate_a_ticket_once(transactional_db):
    boss = supervisor()
    ticket = due_in(open_ticket(), first=10)
    results, errors = race(lambda i: tickets.escalate_due_tickets()["escalated"], 3)
    assert errors == [] and sorted(results) == [0, 0, 1]
    assert ticket.timeline.filter(transition="escalate").count() == 1
    assert Notification.objects.filter(user=boss, title__contains=ticket.number).count() == 1


def test_the_ticket_admin_page_runs_the_same_queries_for_a_long_thread(client):
    ticket = open_ticket()
    worker_ = agent()
    # A superuser sees both inlines: the thread and the timeline.
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/support/ticket/{ticket.pk}/change/"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # once first: the content types cache is filled by whichever page comes first
    short = queries()
    for n in range(6):  # messages and timeline rows by different people
        tickets.reply(ticket=ticket, actor=agent() if n % 2 else worker_, body=f"回复 {n}")
        tickets.add_note(ticket=ticket, actor=agent(), body=f"备注 {n}")
        tickets.escalate(ticket=ticket, actor=agent(), reason=f"升级 {n}")
    assert queries() == short


def test_back_office_reads_tickets_in_the_admin_but_changes_nothing(client):
    ticket = open_ticket(UserFactory(phone="13812345678", display_name=""))
    tickets.add_note(ticket=ticket, actor=agent(), body="内部备注")
    client.force_login(staff("operator"))
    listing = client.get("/admin/support/ticket/")
    assert listing.status_code == 200 and ticket.number in listing.content.decode()
    assert "138****5678" in listing.content.decode()
    change = client.get(f"/admin/support/ticket/{ticket.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert client.get("/admin/support/ticket/add/").status_code == 403
    assert client.post(f"/admin/support/ticket/{ticket.pk}/delete/").status_code == 403
    assert client.get("/admin/support/servicetarget/").status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/support/servicetarget/").status_code == 200
    # Agents work in /support/, not here.
    client.force_login(agent())
    assert client.get("/admin/support/ticket/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_count_only_the_breaches_they_recorded():
    ticket = backdate(open_ticket(), minutes=50 * 60)  # both deadlines of a complaint passed
    now = timezone.now()
    inserted, release = threading.Event(), threading.Event()

    def other_run():
        # Another run got there first: its rows are written, not yet committed.
        try:
            with transaction.atomic():
                for kind, due in (
                    (TicketBreach.Kind.FIRST_RESPONSE, ticket.first_response_due),
                    (TicketBreach.Kind.RESOLUTION, ticket.resolution_due),
                ):
                    TicketBreach.objects.create(ticket=ticket, kind=kind, due_at=due)
                inserted.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    other = threading.Thread(target=other_run)
    other.start()
    try:
        assert inserted.wait(timeout=10)
        # This run cannot see them, tries to insert both, waits for the other to commit
        # and then skips both.
        threading.Timer(0.5, release.set).start()
        recorded = tickets.record_breaches(now=now)
    finally:
        release.set()
        other.join(timeout=15)

    assert recorded == 0
    assert TicketBreach.objects.filter(ticket=ticket).count() == 2
