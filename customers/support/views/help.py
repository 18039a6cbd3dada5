"""The help centre (storefront): FAQ categories with their published articles, search in
Chinese and English, one article in the page's language with a "was this helpful?" vote
counted once per session, and the suggestions endpoint for the new-ticket form.

Drafts never reach these pages: every read goes through the published-only functions of
``customers.services.knowledge``, and each page runs a fixed number of queries whatever
the number of articles.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ..models import FaqArticle, FaqCategory
from ..services import knowledge

SEARCH_LIMIT = 30
SUGGESTIONS = 5
RELATED = 8
# The session remembers which articles this visitor voted on ({id: "yes"|"no"}), so a vote
# counts once per session; the oldest are forgotten past this many.
VOTES_KEY = "help_votes"
MAX_REMEMBERED_VOTES = 200


def index(request):
    context = {"categories": knowledge.help_centre_categories()}
    return render(request, "help/index.html", context)


def category(request, slug):
    faq_category = get_object_or_404(FaqCategory, slug=slug)
    context = {
        "category": faq_category,
        "articles": list(knowledge.published_in(faq_category)),
    }
    return render(request, "help/category.html", context)


def article(request, pk):
    try:
        faq_article = knowledge.published_article(pk)
    except FaqArticle.DoesNotExist:
        raise Http404 from None
    context = {
        "article": faq_article,
        "category": faq_article.category,
        "related": list(
            knowledge.published_in(faq_article.category, exclude=faq_article.pk)[:RELATED]
        ),
        "vote": request.session.get(VOTES_KEY, {}).get(str(faq_article.pk)),
    }
    return render(request, "help/article.html", context)


@require_POST
def vote(request, pk):
    try:
        faq_article = knowledge.published_article(pk)
    except FaqArticle.DoesNotExist:
        raise Http404 from None
    target = reverse("help:article", args=[faq_article.pk]) + "#helpful"
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        messages.error(request, _("Choose “yes” or “no”."))
        return redirect(target)
    votes = dict(request.session.get(VOTES_KEY, {}))
    if str(faq_article.pk) in votes:
        messages.info(request, _("You have told us about this article already. Thank you!"))
        return redirect(target)
    knowledge.record_vote(article=faq_article, helpful=answer == "yes")
    votes[str(faq_article.pk)] = answer
    request.session[VOTES_KEY] = dict(list(votes.items())[-MAX_REMEMBERED_VOTES:])
    return redirect(target)  # the article thanks the visitor where the question was


def search(request):
    query = knowledge.clean_query(request.GET.get("q", ""))
    results, related = [], []
    if query:
        results = list(knowledge.search_articles(query, limit=SEARCH_LIMIT))
        if not results:
            related = list(knowledge.loosely_matching_articles(query, limit=SUGGESTIONS))
    context = {
        # Not "query": the header's goods search box shows that one.
        "help_query": query,
        "results": results,
        "related": related,
        "limited": len(results) >= SEARCH_LIMIT,
        "search_limit": SEARCH_LIMIT,
    }
    return render(request, "help/search.html", context)


@require_GET
def suggest(request):
    """``{"results": [{"title": ..., "url": ...}]}``: at most five published articles for
    ``q``, titles in the page's language; an empty or unusable ``q`` gives none."""
    articles = knowledge.suggest_articles(request.GET.get("q", ""), limit=SUGGESTIONS)
    results = [
        {
            "title": knowledge.localized_title(faq_article),
            "url": reverse("help:article", args=[faq_article.pk]),
        }
        for faq_article in articles
    ]
    return JsonResponse({"results": results})
