"""The help centre: categories and published articles, search in Chinese and English,
articles in the page's language, "was this helpful?" counted once per session, the
suggestions endpoint's contract, fixed query counts, and drafts shown nowhere."""

import json

import pytest
from django.urls import reverse

from customers.support.models import FaqArticle, FaqCategory
from customers.support.services import knowledge
from ops.demo import knowledge as demo_knowledge

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def delivery(db):
    return FaqCategory.objects.create(
        name="配送与物流", name_en="Delivery", slug="delivery", position=1
    )


@pytest.fixture
def returns(db):
    return FaqCategory.objects.create(
        name="退换货与售后", name_en="Returns", slug="returns", position=2
    )


def article(category, title, body, *, status="published", **extra):
    return knowledge.save_article(
        article=FaqArticle(category=category, title=title, body=body, status=status, **extra)
    )


@pytest.fixture
def articles(delivery, returns):
    return {
        "late": article(
            delivery,
            "包裹迟迟没有送达怎么办？",
            "超过 48 小时没有物流更新，我们会自动登记物流异常。",
            title_en="My parcel is late",
            body_en="After 48 hours without tracking news we open a case for you.",
        ),
        "fee": article(delivery, "运费怎么算？", "满 99 元包邮。"),  # Chinese only
        "return": article(
            returns,
            "支持 7 天无理由退货吗？",
            "签收次日起 7 天内可以无理由退货。",
            title_en="Can I return within 7 days?",
            body_en="Yes, within 7 days from the day after delivery.",
        ),
        "draft": article(returns, "草稿：退货运费谁出？", "还没写完的退货答案。", status="draft"),
    }


# --- Pages ------------------------------------------------------------------------------------


def test_the_index_lists_categories_with_their_published_articles(client, articles):
    page = client.get(reverse("help:index"), **ZH).text
    assert "配送与物流" in page and "退换货与售后" in page
    for key in ("late", "fee", "return"):
        assert f'href="/help/article/{articles[key].pk}/"' in page
    assert "草稿" not in page
    assert 'id="help-search"' in page


def test_an_empty_help_centre_says_so(client):
    assert "No help articles yet" in client.get("/help/").text


def test_a_category_page_lists_only_its_published_articles(client, articles, returns):
    page = client.get(reverse("help:category", args=["returns"]), **ZH)
    assert page.status_code == 200
    assert "支持 7 天无理由退货吗？" in page.text
    assert "运费怎么算" not in page.text and "草稿" not in page.text
    assert client.get("/help/category/no-such-thing/").status_code == 404


def test_an_article_follows_the_page_language_and_falls_back_to_chinese(client, articles):
    late, fee = articles["late"], articles["fee"]
    english = client.get(f"/help/article/{late.pk}/").text  # tests run in English
    assert "My parcel is late" in english and "we open a case" in english
    chinese = client.get(f"/help/article/{late.pk}/", **ZH).text
    assert "包裹迟迟没有送达怎么办？" in chinese and "自动登记物流异常" in chinese
    # No English version: the Chinese text on the English page.
    assert "满 99 元包邮" in client.get(f"/help/article/{fee.pk}/").text


def test_drafts_are_never_shown(client, articles):
    draft = articles["draft"]
    assert client.get(f"/help/article/{draft.pk}/").status_code == 404
    assert client.post(f"/help/article/{draft.pk}/helpful/", {"helpful": "yes"}).status_code == 404
    assert "草稿" not in client.get("/help/search/", {"q": "退货"}).text
    assert "草稿" not in client.get("/help/category/returns/").text
    suggestions = client.get("/help/suggest/", {"q": "退货运费"}).json()["results"]
    assert all("草稿" not in item["title"] for item in suggestions)
    draft.refresh_from_db()
    assert draft.helpful == 0


def test_the_help_centre_leads_to_the_service_team(client, articles):
    page = client.get("/help/").text
    assert f'href="{reverse("tickets:new")}" id="contact-us"' in page


def test_the_header_links_the_help_centre(client, articles):
    assert 'href="/help/"' in client.get("/").text


# --- Search -----------------------------------------------------------------------------------


def result_ids(response) -> list[int]:
    marker = 'data-article="'
    return [int(part.split('"')[0]) for part in response.text.split(marker)[1:]]


def test_search_finds_substrings_in_chinese_and_words_in_english(client, articles):
    late, ret = articles["late"], articles["return"]
    assert result_ids(client.get("/help/search/", {"q": "送达"}, **ZH)) == [late.pk]
    assert result_ids(client.get("/help/search/", {"q": "无理由"}, **ZH)) == [ret.pk]
    assert result_ids(client.get("/help/search/", {"q": "PARCEL late"})) == [late.pk]
    assert result_ids(client.get("/help/search/", {"q": "return 7 days"})) == [ret.pk]


def test_search_offers_close_articles_when_none_holds_every_word(client, articles):
    # "我的包裹还没到" is not a substring of any article, but shares "包裹" with one.
    page = client.get("/help/search/", {"q": "我的包裹还没到"}, **ZH)
    assert 'id="no-results"' in page.text
    related = page.text.split('id="related-results"')[1]
    assert f'data-article="{articles["late"].pk}"' in related


@pytest.mark.parametrize(
    "query", ["", "   ", "\x00", "a\x00b", "%", "_", "'; DROP TABLE x; --", "绿" * 500, "\u202e"]
)
def test_bad_or_empty_search_input_never_fails(client, articles, query):
    response = client.get("/help/search/", {"q": query})
    assert response.status_code == 200
    assert client.get("/help/suggest/", {"q": query}).status_code == 200


def test_an_empty_search_asks_for_words(client):
    assert "Type a question" in client.get("/help/search/").text


# --- Suggestions (the new-ticket form's contract) ---------------------------------------------


def test_suggestions_answer_json_with_titles_and_urls(client, articles):
    late = articles["late"]
    response = client.get("/help/suggest/", {"q": "包裹"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body == {"results": [{"title": "My parcel is late", "url": f"/help/article/{late.pk}/"}]}
    chinese = client.get("/help/suggest/", {"q": "包裹"}, **ZH).json()
    assert chinese["results"][0]["title"] == "包裹迟迟没有送达怎么办？"
    assert client.get("/help/suggest/").json() == {"results": []}
    assert client.get("/help/suggest/", {"q": "  "}).json() == {"results": []}


def test_suggestions_match_a_sentence_being_typed_and_stop_at_five(client, delivery):
    for n in range(8):
        article(delivery, f"包裹问题{n}：快递几天能到？", "一般 1–4 天送达。")
    typed = client.get("/help/suggest/", {"q": "我的包裹什么时候到"}).json()["results"]
    assert len(typed) == 5
    assert all(item["title"].startswith("包裹问题") for item in typed)
    assert client.post("/help/suggest/", {"q": "包裹"}).status_code == 405


# --- Was this helpful? ------------------------------------------------------------------------


def test_a_helpful_vote_counts_once_per_session(client, articles):
    late = articles["late"]
    url = f"/help/article/{late.pk}/helpful/"
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#helpful")
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    late.refresh_from_db()
    assert (late.helpful, late.not_helpful) == (1, 0)
    page = client.get(f"/help/article/{late.pk}/").text
    assert 'id="vote-thanks"' in page and 'id="helpful-yes"' not in page
    assert "1 shopper found this helpful" in page


def test_a_no_is_counted_apart_once_and_bad_votes_are_refused(client, articles):
    fee, late = articles["fee"], articles["late"]
    client.post(f"/help/article/{fee.pk}/helpful/", {"helpful": "no"})
    client.post(f"/help/article/{fee.pk}/helpful/", {"helpful": "yes"})
    client.post(f"/help/article/{late.pk}/helpful/", {"helpful": "maybe"})
    assert client.get(f"/help/article/{late.pk}/helpful/").status_code == 405
    fee.refresh_from_db()
    late.refresh_from_db()
    assert (fee.helpful, fee.not_helpful) == (0, 1)
    assert (late.helpful, late.not_helpful) == (0, 0)
    assert 'id="helpful-yes"' in client.get(f"/help/article/{late.pk}/").text


def test_each_session_counts_once(client, django_user_model, articles):
    from django.test import Client

    late = articles["late"]
    for visitor in (client, Client(), Client()):
        visitor.post(f"/help/article/{late.pk}/helpful/", {"helpful": "yes"})
    late.refresh_from_db()
    assert late.helpful == 3


# --- Fixed query counts -----------------------------------------------------------------------


def _grow(delivery, returns, count, start=0):
    for n in range(start, start + count):
        article(
            delivery if n % 2 else returns,
            f"问题{n}：包裹和退货",
            f"答案{n}",
            title_en=f"Q{n}",
            body_en=f"A{n}",
        )
        article(returns, f"草稿{n}", "未发布", status="draft")


# Anonymous visitors (a signed-in shopper adds the session and the user).
PAGES = [
    ("index", "/help/", 2),  # categories, their published articles
    ("category", "/help/category/returns/", 2),  # the category, its articles
    ("article", "ARTICLE", 2),  # the article with its category, the others of the category
    ("search", "/help/search/?q=包裹", 1),
    ("search-loose", "/help/search/?q=我的包裹呢", 2),  # + the loose match when none holds all
    ("suggest", "/help/suggest/?q=我的包裹呢", 2),  # every word, then loose matches
]


@pytest.mark.parametrize(("label", "url", "bound"), PAGES, ids=[p[0] for p in PAGES])
def test_help_pages_run_a_fixed_number_of_queries(
    client, delivery, returns, django_assert_max_num_queries, label, url, bound
):
    _grow(delivery, returns, 3)
    first = FaqArticle.objects.filter(status="published", category=returns).order_by("pk").first()
    url = url.replace("ARTICLE", f"/help/article/{first.pk}/")
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200
    _grow(delivery, returns, 30, start=3)
    with django_assert_max_num_queries(bound):
        assert client.get(url).status_code == 200


# --- Services and demo ------------------------------------------------------------------------


def test_publish_and_unpublish_keep_the_search_text(delivery):
    draft = article(delivery, "发票怎么开？", "在结算页填写。", status="draft")
    assert list(knowledge.search_articles("发票")) == []
    knowledge.publish_article(article=draft)
    assert list(knowledge.search_articles("发票")) == [draft]
    with pytest.raises(knowledge.KnowledgeError):
        knowledge.publish_article(article=draft)
    knowledge.unpublish_article(article=draft)
    assert list(knowledge.search_articles("发票")) == []
    assert knowledge.record_vote(article=draft, helpful=True) is False
    assert knowledge.record_vote(article=draft, helpful=False) is False
    draft.refresh_from_db()
    assert (draft.helpful, draft.not_helpful) == (0, 0)


def test_the_demo_help_centre_is_complete_and_idempotent(client):
    demo_knowledge.seed()
    demo_knowledge.seed()
    categories = FaqCategory.objects.all()
    assert set(categories.values_list("name", flat=True)) == {
        "配送与物流",
        "退换货与售后",
        "支付与发票",
        "账户与安全",
        "秒杀与优惠",
        "商品质量",
    }
    for category in categories:
        published = category.articles.filter(status="published")
        assert 3 <= published.count() <= 5, category
        assert not published.filter(title_en="").exists()
        assert not published.filter(body_en="").exists()
    assert FaqArticle.objects.filter(status="draft").count() == 1
    assert FaqArticle.objects.count() == sum(len(c[3]) for c in demo_knowledge.CATEGORIES)
    # The shop's rules, searchable in both languages.
    assert knowledge.search_articles("99 元包邮").exists()
    assert knowledge.search_articles("30 minutes").exists()
    assert client.get("/help/search/", {"q": "无理由退货"}).status_code == 200
