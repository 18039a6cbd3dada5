"""The shopper's service requests (/accounts/tickets/): open one (from an order page too),
follow the conversation without the staff's notes, reply, rate and close; only their own
tickets and files; links from the account and order pages; bounded queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.support.models import Ticket
from customers.support.services import tickets
from tests.customers.factories import UserFactory
from tests.customers.ticket_helpers import agent, jpeg, open_ticket
from tests.orders.factories import listed_sku, place

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:new")
LIST = reverse("tickets:list")


def detail(ticket):
    return reverse("tickets:detail", args=[ticket.number])


def test_anonymous_visitors_sign_in_first(client):
    ticket = open_ticket()
    for url in (LIST, NEW, detail(ticket)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_shopper_opens_a_complaint_about_an_order_from_its_page(client):
    tea = listed_sku(stock=10)
    order = place(items=[(tea, 1)])
    client.force_login(order.user)
    order_page = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    link = f"{NEW}?order={order.number}"
    assert link in order_page
    form = client.get(link).context["form"]
    assert form.initial["order"] == order.number and form.initial["type"] == "complaint"
    response = client.post(
        NEW,
        {
            "type": "complaint",
            "category": "delivery",
            "subject": "少发了一件",
            "body": "包裹里只有一罐茶。",
            "order": order.number,
            "product": str(tea.product.pk),
            "attachments": [jpeg()],
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == detail(ticket)
    assert (ticket.shopper, ticket.order, ticket.product, ticket.type, ticket.category) == (
        order.user,
        order,
        tea.product,
        "complaint",
        "delivery",
    )
    assert ticket.messages.get().attachments.count() == 1


def test_someone_elses_order_is_neither_prefilled_nor_accepted(client):
    tea = listed_sku(stock=10)
    theirs = place(items=[(tea, 1)])
    shopper = UserFactory()
    client.force_login(shopper)
    form = client.get(f"{NEW}?order={theirs.number}").context["form"]
    assert "order" not in form.initial
    response = client.post(
        NEW, {"type": "complaint", "subject": "x", "body": "y", "order": theirs.number}
    )
    assert response.status_code == 200 and response.context["form"].errors["order"]
    assert not Ticket.objects.exists()


def test_bad_input_redisplays_the_form_with_messages(client):
    client.force_login(UserFactory())
    response = client.post(NEW, {"type": "nonsense", "subject": "", "body": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"type", "subject", "body"} <= set(errors)
    fake = SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")
    response = client.post(
        NEW, {"type": "consultation", "subject": "s", "body": "b", "attachments": [fake]}
    )
    assert response.status_code == 200 and response.context["form"].errors["attachments"]
    assert not Ticket.objects.exists()


def test_the_page_suggests_help_articles_with_a_script_and_works_without_it(client):
    client.force_login(UserFactory())
    page = client.get(NEW).content.decode()
    assert 'data-url="/help/suggest/"' in page and 'id="suggestions"' in page


def test_shoppers_see_only_their_own_tickets_and_files(client):
    mine = open_ticket(subject="我的问题", attachments=[jpeg()])
    theirs = open_ticket(subject="别人的问题", attachments=[jpeg()])
    client.force_login(mine.shopper)
    page = client.get(LIST).content.decode()
    assert "我的问题" in page and "别人的问题" not in page
    assert client.get(detail(theirs)).status_code == 404
    their_file = theirs.messages.get().attachments.get()
    my_file = mine.messages.get().attachments.get()
    url = reverse("tickets:attachment", args=[theirs.number, their_file.pk])
    assert client.get(url).status_code == 404
    # Not under their own ticket's number either.
    url = reverse("tickets:attachment", args=[mine.number, their_file.pk])
    assert client.get(url).status_code == 404
    url = reverse("tickets:attachment", args=[mine.number, my_file.pk])
    assert client.get(url)["Content-Type"] == "image/jpeg"
    for action in ("reply", "rate", "close"):
        response = client.post(reverse(f"tickets:{action}", args=[theirs.number]), {"body": "x"})
        assert response.status_code == 404
    assert theirs.messages.count() == 1


def test_internal_notes_and_their_files_never_reach_the_shopper(client):
    ticket = open_ticket()
    worker_ = agent(display_name="客服小陈")
    tickets.reply(ticket=ticket, actor=worker_, body="我们已安排补发。")
    note = tickets.add_note(
        ticket=ticket, actor=worker_, body="内部：顾客投诉过三次", attachments=[jpeg()]
    )
    client.force_login(ticket.shopper)
    page = client.get(detail(ticket)).content.decode()
    assert "我们已安排补发。" in page and "内部：顾客投诉过三次" not in page
    assert "客服小陈" not in page  # staff names stay private
    url = reverse("tickets:attachment", args=[ticket.number, note.attachments.get().pk])
    assert client.get(url).status_code == 404


def test_the_shopper_sees_the_reply_answers_and_the_ticket_goes_back_to_the_agent(client):
    ticket = open_ticket()
    worker_ = agent()
    tickets.reply(ticket=ticket, actor=worker_, body="请提供照片", wait_for_customer=True)
    client.force_login(ticket.shopper)
    account = client.get(reverse("customers:account")).content.decode()
    assert LIST in account and f"/accounts/tickets/{ticket.number}/" in account  # the message
    client.post(
        reverse("tickets:reply", args=[ticket.number]),
        {"body": "照片如下", "attachments": [jpeg()]},
    )
    ticket.refresh_from_db()
    assert ticket.status == "assigned"
    assert ticket.messages.last().attachments.count() == 1


def test_the_shopper_rates_a_resolved_ticket_once_which_closes_it(client):
    ticket = open_ticket()
    tickets.resolve(ticket=ticket, actor=agent())
    client.force_login(ticket.shopper)
    assert 'id="rate-form"' in client.get(detail(ticket)).content.decode()
    client.post(reverse("tickets:rate", args=[ticket.number]), {"rating": "4", "comment": "不错"})
    ticket.refresh_from_db()
    assert (ticket.rating, ticket.rating_comment, ticket.status) == (4, "不错", "closed")
    response = client.post(
        reverse("tickets:rate", args=[ticket.number]), {"rating": "1"}, follow=True
    )
    assert "already rated" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).rating == 4
    page = client.get(detail(ticket)).content.decode()
    assert 'id="rate-form"' not in page and 'id="reply-form"' not in page


def test_an_open_ticket_cannot_be_rated_and_a_bad_rating_is_refused(client):
    ticket = open_ticket()
    client.force_login(ticket.shopper)
    assert 'id="rate-form"' not in client.get(detail(ticket)).content.decode()
    client.post(reverse("tickets:rate", args=[ticket.number]), {"rating": "5"})
    tickets.resolve(ticket=ticket, actor=agent())
    client.post(reverse("tickets:rate", args=[ticket.number]), {"rating": "9"})
    ticket.refresh_from_db()
    assert ticket.rating is None and ticket.status == "resolved"


def test_replying_to_a_resolved_ticket_reopens_it(client):
    ticket = open_ticket()
    tickets.resolve(ticket=ticket, actor=agent())
    client.force_login(ticket.shopper)
    client.post(reverse("tickets:reply", args=[ticket.number]), {"body": "还是坏的"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened) == ("assigned", 1)


@pytest.mark.parametrize("size", [2, 12])
def test_the_shoppers_pages_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, size
):
    shopper, worker_ = UserFactory(), agent()
    for n in range(size):
        open_ticket(shopper, subject=f"问题 {n}")
    ticket = open_ticket(shopper, attachments=[jpeg()])
    for n in range(size):
        tickets.reply(ticket=ticket, actor=worker_, body=f"回复 {n}", attachments=[jpeg()])
        tickets.add_note(ticket=ticket, actor=worker_, body=f"备注 {n}")
        tickets.reply(ticket=ticket, actor=shopper, body=f"追问 {n}")
    client.force_login(shopper)
    # Session and user; the page and its count.
    with django_assert_max_num_queries(4):
        assert client.get(LIST).status_code == 200
    # Session and user; ticket, messages, attachments, timeline.
    with django_assert_max_num_queries(6):
        assert client.get(detail(ticket)).status_code == 200
    # Session and user; orders, after-sales cases, products bought.
    with django_assert_max_num_queries(5):
        assert client.get(NEW).status_code == 200


def test_a_decompression_bomb_attachment_is_refused_with_a_message(client):
    from tests.catalog.test_media import bomb_png

    client.force_login(UserFactory())
    bomb = SimpleUploadedFile("bomb.png", bomb_png(), "image/png")
    response = client.post(
        NEW, {"type": "consultation", "subject": "s", "body": "b", "attachments": [bomb]}
    )
    assert response.status_code == 200
    assert "too many pixels" in str(response.context["form"].errors["attachments"])
    assert not Ticket.objects.exists()
