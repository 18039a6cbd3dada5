"""The FAQ knowledge base: writing articles and finding them.

Articles are searched like goods (Chinese has no spaces between words): every word of
the query must be a substring of the article's lower-cased questions and answers in both
languages (``search_text``, trigram-indexed), best matches first. The help centre, the
suggestions while a shopper types a ticket and the agents' canned answers all use
``search_articles``.
"""

from django.contrib.postgres.search import TrigramSimilarity
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from ..models import FaqArticle, FaqCategory, TicketMessage

MAX_TERMS = 8


class KnowledgeError(Exception):
    """A knowledge-base change that cannot be made; the message says why."""


def build_search_text(article: FaqArticle) -> str:
    """What search matches substrings in: both languages, lower-cased."""
    parts = [article.title, article.title_en, article.body, article.body_en]
    return "\n".join(part for part in parts if part).lower()


def search_articles(query: str, *, limit: int = 10, drafts: bool = False) -> QuerySet[FaqArticle]:
    """Articles whose questions or answers (Chinese or English) contain every word of
    ``query``, best matches first (one query; the category joined). Published ones only
    unless ``drafts``; an empty query finds nothing."""
    terms = query.lower().split()[:MAX_TERMS]
    if not terms:
        return FaqArticle.objects.none()
    articles = FaqArticle.objects.select_related("category")
    if not drafts:
        articles = articles.filter(status=FaqArticle.Status.PUBLISHED)
    for term in terms:
        articles = articles.filter(search_text__contains=term)
    similarity = TrigramSimilarity("search_text", " ".join(terms))
    return articles.annotate(relevance=similarity).order_by(F("relevance").desc(), "pk")[:limit]


@transaction.atomic
def save_article(*, article: FaqArticle, actor=None) -> FaqArticle:
    """Save an article (new or changed) with its search text. Raises ``KnowledgeError``
    without a question or an answer."""
    if not article.title.strip() or not article.body.strip():
        raise KnowledgeError(_("An article needs a question and an answer."))
    if article.pk is None and actor is not None:
        article.created_by = actor
    article.search_text = build_search_text(article)
    article.save()
    return article


@transaction.atomic
def draft_article_from_message(
    *, message: TicketMessage, actor, category: FaqCategory, title: str = ""
) -> FaqArticle:
    """An agent turns a good answer into a draft article: the ticket's subject (or
    ``title``) as the question, the message as the answer, linked to its ticket, for an
    editor to polish and publish. Raises ``KnowledgeError`` for an internal note or a
    shopper's message (only staff answers become articles)."""
    if message.internal or not message.author.is_staff:
        raise KnowledgeError(_("Only an agent's reply to a shopper can become an article."))
    article = FaqArticle(
        category=category,
        title=(title or message.ticket.subject).strip()[:200],
        body=message.body,
        status=FaqArticle.Status.DRAFT,
        source_ticket=message.ticket,
    )
    return save_article(article=article, actor=actor)
