"""The FAQ knowledge base: writing articles and finding them.

Articles are searched like goods (Chinese has no spaces between words): every word of
the query must be a substring of the article's lower-cased questions and answers in both
languages (``search_text``, trigram-indexed), best matches first. The help centre, the
suggestions while a shopper types a ticket and the agents' canned answers all use
``search_articles``. When no article holds every word (a shopper typing a whole Chinese
sentence, "我的包裹还没到"), ``loosely_matching_articles`` ranks articles by the
two-character runs and English words they share with it; ``suggest_articles`` combines
the two for the new-ticket form.

Publishing, unpublishing and the "was this helpful?" count are services here too; what
the help centre reads (published articles only) comes from the functions at the end.
"""

import operator
import re
from collections.abc import Iterable
from functools import reduce

from django.contrib.postgres.search import TrigramSimilarity
from django.db import transaction
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from customers.support.models import FaqArticle, FaqCategory, TicketMessage
from mall.errors import DomainError

MAX_TERMS = 8


class KnowledgeError(DomainError):
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


# --- The help centre ------------------------------------------------------------------------
#
# Everything below is read by the storefront's help centre (customers/help_views.py) and the
# FAQ admin; what an article says is always its Chinese text unless the page is in English
# and the article has an English version.

MAX_LOOSE_KEYS = 16
# Two-character runs that occur in almost every question; matching on them would suggest
# everything. ("为什么" gives "为什" and "什么".)
_COMMON_PAIRS = frozenset(
    {
        "怎么",
        "么办",
        "什么",
        "为什",
        "如何",
        "可以",
        "我的",
        "一下",
        "请问",
        "是否",
        "能不",
        "不能",
        "没有",
        "已经",
        "时候",
        "这个",
        "那个",
        "是不",
        "不是",
        "一个",
        "有没",
    }
)
_COMMON_WORDS = frozenset(
    {
        "the",
        "and",
        "how",
        "can",
        "what",
        "why",
        "does",
        "did",
        "for",
        "you",
        "your",
        "with",
        "not",
        "are",
        "was",
        "when",
        "where",
        "who",
        "has",
        "have",
        "any",
        "get",
        "this",
        "that",
        "from",
    }
)
_CJK_OR_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W\u3400-\u9fff\uf900-\ufaff_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _in_english(language: str | None = None) -> bool:
    return (language or translation.get_language() or "").startswith("en")


def localized_title(article: FaqArticle, language: str | None = None) -> str:
    """The question in the page's language: English where the page is English and the
    article has an English question, else Chinese."""
    if _in_english(language) and article.title_en.strip():
        return article.title_en
    return article.title


def localized_body(article: FaqArticle, language: str | None = None) -> str:
    """The answer in the page's language, falling back to Chinese like ``localized_title``
    (an English question always comes with its English answer when both exist)."""
    if _in_english(language) and article.body_en.strip():
        return article.body_en
    return article.body


def localized_category(category: FaqCategory, language: str | None = None) -> str:
    if _in_english(language) and category.name_en.strip():
        return category.name_en
    return category.name


def clean_query(text: str, *, max_length: int = 100) -> str:
    """A shopper's search text made safe to search with: control characters (PostgreSQL
    refuses NUL in a string) dropped, whitespace collapsed, at most ``max_length``."""
    text = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in str(text))
    return " ".join(text.split())[:max_length]


def _loose_keys(query: str) -> list[str]:
    """What a loose match looks for: every two-character run of Chinese text (Chinese
    has no spaces, so "我的包裹还没到" must meet "包裹迟迟没有送达") and every English word
    of three letters or more, the most common ones of each left out."""
    keys: list[str] = []
    for run in _CJK_OR_WORD.findall(query.lower()):
        if _CJK.match(run):
            pairs = [run[i : i + 2] for i in range(len(run) - 1)]
            keys += [pair for pair in pairs if pair not in _COMMON_PAIRS]
        elif len(run) >= 3 and run not in _COMMON_WORDS:
            keys.append(run)
    return list(dict.fromkeys(keys))[:MAX_LOOSE_KEYS]


def loosely_matching_articles(
    query: str, *, limit: int = 5, exclude: Iterable[int] = ()
) -> QuerySet[FaqArticle]:
    """Published articles that share parts of ``query`` (see ``_loose_keys``), those that
    share the most first, a part of the question counting double: what the help centre
    offers when no article holds every word, and what fills the suggestions while a
    shopper types a sentence. One query; nothing for a query without usable parts."""
    keys = _loose_keys(query)
    if not keys:
        return FaqArticle.objects.none()
    matches = Q()
    score = []
    for key in keys:
        matches |= Q(search_text__contains=key)
        score.append(
            Case(
                When(Q(title__icontains=key) | Q(title_en__icontains=key), then=Value(2)),
                When(search_text__contains=key, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    least = 1 if len(keys) <= 3 else 2
    return (
        FaqArticle.objects.filter(status=FaqArticle.Status.PUBLISHED)
        .filter(matches)
        .exclude(pk__in=list(exclude))
        .select_related("category")
        .annotate(hits=reduce(operator.add, score))
        .filter(hits__gte=least)
        .order_by("-hits", "category__position", "position", "pk")[:limit]
    )


def suggest_articles(text: str, *, limit: int = 5) -> list[FaqArticle]:
    """At most ``limit`` published articles for what a shopper is typing (a ticket's
    subject, say): those holding every word first, then loose matches. Two queries at
    most; an empty text suggests nothing."""
    query = clean_query(text)
    found = list(search_articles(query, limit=limit)) if query else []
    if query and len(found) < limit:
        found += loosely_matching_articles(
            query, limit=limit - len(found), exclude=[article.pk for article in found]
        )
    return found


def help_centre_categories() -> list[FaqCategory]:
    """The categories that have published articles, in order, each with them as
    ``published`` (in order): two queries."""
    published = FaqArticle.objects.filter(status=FaqArticle.Status.PUBLISHED).order_by(
        "position", "pk"
    )
    categories = FaqCategory.objects.prefetch_related(
        Prefetch("articles", queryset=published, to_attr="published")
    ).order_by("position", "pk")
    return [category for category in categories if category.published]


def published_article(pk: int) -> FaqArticle:
    """A published article with its category (one query). Raises
    ``FaqArticle.DoesNotExist`` for drafts and unknown ids."""
    return FaqArticle.objects.select_related("category").get(
        pk=pk, status=FaqArticle.Status.PUBLISHED
    )


def published_in(category: FaqCategory, *, exclude: int | None = None) -> QuerySet[FaqArticle]:
    articles = category.articles.filter(status=FaqArticle.Status.PUBLISHED)
    if exclude is not None:
        articles = articles.exclude(pk=exclude)
    return articles.order_by("position", "pk")


@transaction.atomic
def publish_article(*, article: FaqArticle, actor=None) -> FaqArticle:
    """Show a draft in the help centre (and in the suggestions and agents' answers).
    Raises ``KnowledgeError`` if it is published already, or has no question or answer."""
    if article.status == FaqArticle.Status.PUBLISHED:
        raise KnowledgeError(_("“%(article)s” is published already.") % {"article": article})
    article.status = FaqArticle.Status.PUBLISHED
    return save_article(article=article, actor=actor)


@transaction.atomic
def unpublish_article(*, article: FaqArticle, actor=None) -> FaqArticle:
    """Take an article back to draft: out of the help centre at once. Raises
    ``KnowledgeError`` if it is a draft already."""
    if article.status == FaqArticle.Status.DRAFT:
        raise KnowledgeError(_("“%(article)s” is a draft already.") % {"article": article})
    article.status = FaqArticle.Status.DRAFT
    return save_article(article=article, actor=actor)


def record_vote(*, article: FaqArticle, helpful: bool) -> bool:
    """Count one answer to "was this helpful?" for a published article (``helpful`` or
    ``not_helpful``): a single UPDATE adding one, so concurrent votes never overwrite
    each other. Returns False (nothing counted) for an article that is not published.
    Counting once per visitor is the caller's part (the help centre remembers votes in
    the session)."""
    field = "helpful" if helpful else "not_helpful"
    counted = FaqArticle.objects.filter(pk=article.pk, status=FaqArticle.Status.PUBLISHED).update(
        **{field: F(field) + 1}
    )
    return bool(counted)
