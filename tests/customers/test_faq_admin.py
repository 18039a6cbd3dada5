"""The FAQ in the back office: operators list, filter and search articles, write them (the
search text follows), publish and unpublish them, and see which drafts came from a
ticket; nobody else gets in."""

import pytest
from django.urls import reverse

from customers.support.models import FaqArticle, FaqCategory, Ticket
from customers.support.services import knowledge
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/support/faqarticle/"


@pytest.fixture
def operator(db):
    return UserFactory(roles=["operator"])


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def delivery(db):
    return FaqCategory.objects.create(name="配送与物流", name_en="Delivery", slug="delivery")


@pytest.fixture
def payment(db):
    return FaqCategory.objects.create(name="支付与发票", name_en="Payment", slug="payment")


def article(category, title, body="答案。", status="published", **extra):
    return knowledge.save_article(
        article=FaqArticle(category=category, title=title, body=body, status=status, **extra)
    )


def ticket(subject="发票怎么开？"):
    return Ticket.objects.create(
        number=f"T{Ticket.objects.count() + 1}",
        type="consultation",
        subject=subject,
        shopper=UserFactory(),
        first_response_due="2030-01-01T00:00:00Z",
        resolution_due="2030-01-02T00:00:00Z",
    )


def listed(response) -> str:
    """The changelist's table only (the filters name categories too)."""
    if 'id="result_list"' not in response.text:
        return ""
    return response.text.split('id="result_list"')[1].split("</table>")[0]


def test_operators_list_filter_and_search_articles(operator_client, delivery, payment):
    article(delivery, "包裹迟迟没有送达怎么办？", title_en="My parcel is late", body_en="We help.")
    article(payment, "发票怎么开？", status="draft", source_ticket=ticket())
    article(payment, "支持哪些付款方式？")

    everything = listed(operator_client.get(CHANGELIST))
    assert all(q in everything for q in ("包裹迟迟", "发票怎么开", "支持哪些付款"))
    by_category = listed(operator_client.get(CHANGELIST, {"category__id__exact": payment.pk}))
    assert "包裹迟迟" not in by_category and "发票怎么开" in by_category
    drafts = listed(operator_client.get(CHANGELIST, {"status__exact": "draft"}))
    assert "发票怎么开" in drafts and "支持哪些付款" not in drafts
    from_tickets = listed(operator_client.get(CHANGELIST, {"from_ticket": "yes"}))
    assert "发票怎么开" in from_tickets and "T1 · 发票怎么开？" in from_tickets
    assert "支持哪些付款" not in from_tickets
    found = listed(operator_client.get(CHANGELIST, {"q": "parcel"}))
    assert "包裹迟迟" in found and "发票" not in found


def test_an_operator_writes_an_article_and_search_follows(operator_client, operator, delivery):
    response = operator_client.post(
        reverse("admin:support_faqarticle_add"),
        {
            "category": delivery.pk,
            "status": "published",
            "position": 0,
            "title": "可以指定送货时间吗？",
            "body": "暂不支持指定送货时段。",
            "title_en": "Can I choose a delivery time?",
            "body_en": "Not yet.",
        },
    )
    assert response.status_code == 302, response.text
    created = FaqArticle.objects.get()
    assert created.created_by == operator
    assert list(knowledge.search_articles("送货时段")) == [created]
    assert list(knowledge.search_articles("delivery time")) == [created]

    response = operator_client.post(
        reverse("admin:support_faqarticle_change", args=[created.pk]),
        {
            "category": delivery.pk,
            "status": "published",
            "position": 0,
            "title": "可以预约送货时间吗？",
            "body": "下单时可以在备注中写明方便收货的时间。",
            "title_en": "",
            "body_en": "",
        },
    )
    assert response.status_code == 302
    assert list(knowledge.search_articles("送货时段")) == []
    assert list(knowledge.search_articles("备注")) == [created]
    assert list(knowledge.search_articles("delivery time")) == []


def test_the_english_question_comes_with_its_answer(operator_client, delivery):
    response = operator_client.post(
        reverse("admin:support_faqarticle_add"),
        {
            "category": delivery.pk,
            "status": "draft",
            "position": 0,
            "title": "问题",
            "body": "答案",
            "title_en": "Only a question",
            "body_en": "",
        },
    )
    assert response.status_code == 200
    assert "Give both the English question and its answer" in response.text
    assert not FaqArticle.objects.exists()


def test_publish_and_unpublish_actions(operator_client, delivery):
    draft = article(delivery, "发票怎么开？", status="draft", source_ticket=ticket())
    live = article(delivery, "运费怎么算？")

    response = operator_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [draft.pk, live.pk]}, follow=True
    )
    draft.refresh_from_db()
    assert draft.status == "published"
    assert "1 article(s) published." in response.text
    assert "is published already" in response.text  # the other one, reported
    assert list(knowledge.search_articles("发票")) == [draft]

    operator_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [live.pk]})
    live.refresh_from_db()
    assert live.status == "draft"
    assert list(knowledge.search_articles("运费")) == []


def test_a_draft_from_a_ticket_shows_its_ticket(operator_client, delivery):
    draft = article(delivery, "发票怎么开？", status="draft", source_ticket=ticket())
    page = operator_client.get(reverse("admin:support_faqarticle_change", args=[draft.pk]))
    assert page.status_code == 200
    assert "T1 · 发票怎么开？" in page.text


def test_categories_show_their_article_counts(operator_client, delivery):
    article(delivery, "一")
    article(delivery, "二")
    article(delivery, "三", status="draft")
    page = operator_client.get("/admin/support/faqcategory/").text
    assert '<td class="field-published_count">2</td>' in page
    assert '<td class="field-draft_count">1</td>' in page


@pytest.mark.parametrize("role", ["analyst", "warehouse", "support_agent"])
def test_other_roles_do_not_edit_articles(client, delivery, role):
    client.force_login(UserFactory(roles=[role]))
    response = client.get(CHANGELIST)
    assert response.status_code in (302, 403)  # support staff are sent to the login page
    response = client.post(
        reverse("admin:support_faqarticle_add"),
        {"category": delivery.pk, "status": "published", "position": 0, "title": "x", "body": "y"},
    )
    assert response.status_code in (302, 403)
    assert not FaqArticle.objects.exists()
