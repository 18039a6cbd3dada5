"""FAQ search finds substrings in both languages, published articles only by default;
an agent's answer becomes a draft article, a note or a shopper's message does not."""

import pytest

from customers.support.models import FaqArticle, FaqCategory, Ticket, TicketMessage
from customers.support.services import knowledge
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db):
    return FaqCategory.objects.create(name="配送", name_en="Delivery", slug="delivery")


def _article(category, title, body, status="published", **extra):
    return knowledge.save_article(
        article=FaqArticle(category=category, title=title, body=body, status=status, **extra)
    )


def test_search_matches_every_word_as_a_substring_in_either_language(category):
    slow = _article(
        category, "包裹迟迟没有送达怎么办？", "请先查看物流轨迹。", title_en="My parcel is late"
    )
    _article(category, "如何修改收货地址？", "订单发货前可以修改。", title_en="Change my address")
    _article(category, "包裹破损怎么办？", "请拍照申请售后。", status="draft")
    assert list(knowledge.search_articles("包裹 送达")) == [slow]
    assert list(knowledge.search_articles("PARCEL late")) == [slow]
    assert {a.title for a in knowledge.search_articles("包裹", drafts=True)} == {
        "包裹迟迟没有送达怎么办？",
        "包裹破损怎么办？",
    }
    assert list(knowledge.search_articles("   ")) == []
    with pytest.raises(knowledge.KnowledgeError):
        _article(category, " ", "answer")


def test_an_agents_answer_becomes_a_draft_article_and_nothing_else_does(category):
    shopper, agent = UserFactory(), UserFactory(roles=["support_agent"])
    ticket = Ticket.objects.create(
        number="T1",
        type="consultation",
        subject="发票怎么开？",
        shopper=shopper,
        first_response_due="2030-01-01T00:00:00Z",
        resolution_due="2030-01-02T00:00:00Z",
    )
    answer = TicketMessage.objects.create(
        ticket=ticket, author=agent, body="在结算页填写发票抬头。"
    )
    draft = knowledge.draft_article_from_message(message=answer, actor=agent, category=category)
    assert (draft.title, draft.status, draft.source_ticket) == ("发票怎么开？", "draft", ticket)
    assert list(knowledge.search_articles("发票")) == []  # a draft is not shown yet
    for message in (
        TicketMessage.objects.create(ticket=ticket, author=agent, body="内部备注", internal=True),
        TicketMessage.objects.create(ticket=ticket, author=shopper, body="谢谢"),
    ):
        with pytest.raises(knowledge.KnowledgeError):
            knowledge.draft_article_from_message(message=message, actor=agent, category=category)
