"""The embedded search backend: PostgreSQL full text over the pre-segmented words.

``Product.search_vector`` holds the segmented title (weight A), details (B) and
description (D) under the ``simple`` configuration, in a GIN index, so a query of any
length is an index lookup, a two-character word as much as a long one. Each word of the
plan is its lexeme or, for a compound word, the phrase of its parts (蓝牙耳机 also finds
"蓝牙 耳机"); relevance is ``ts_rank`` (title words weigh most) plus one when the whole
query appears as a phrase in the title. The count stops at ``COUNT_CAP + 1`` rows.
"""

from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db.models import Case, F, FloatField, Func, Value, When

from ...selectors.listings import DEFAULT_SORT, SORTS, listed_products
from ..base import COUNT_CAP, Hits, Plan
from ..segmenting import document_words

CONFIG = "simple"
# ts_rank weights for D, C, B, A: a title word counts ten times a description word.
WEIGHTS = [0.1, 0.2, 0.4, 1.0]


class TitleVector(Func):
    """The title's words only (weight A), positions kept: for the whole-phrase bonus."""

    template = "ts_filter(%(expressions)s, '{a}'::\"char\"[])"
    output_field = SearchVectorField()


def _word_query(word: str) -> SearchQuery:
    query = SearchQuery(word, config=CONFIG, search_type="plain")
    parts = [part for part in document_words(word) if part != word]
    if len(parts) > 1 and "".join(parts) == word:
        query |= SearchQuery(" ".join(parts), config=CONFIG, search_type="phrase")
    return query


def _group_query(alternatives) -> SearchQuery:
    return reduce(lambda a, b: a | b, (_word_query(a) for a in alternatives))


def plan_query(plan: Plan) -> SearchQuery:
    groups = [_group_query(group.alternatives) for group in plan.groups]
    combine = (lambda a, b: a | b) if plan.any_group else (lambda a, b: a & b)
    return reduce(combine, groups)


class PostgresSearch:
    def hits(self, plan: Plan, *, filters: dict, sort: str, offset: int, limit: int) -> Hits:
        query = plan_query(plan)
        by_relevance = sort not in SORTS
        goods = listed_products(sort=DEFAULT_SORT if by_relevance else sort, **filters).filter(
            search_vector=query
        )
        total = goods.order_by().values("pk")[: COUNT_CAP + 1].count()
        if not total:
            return Hits(ids=[], total=0)
        if by_relevance:
            phrase = SearchQuery(" ".join(plan.words), config=CONFIG, search_type="phrase")
            rank = SearchRank(F("search_vector"), query, weights=WEIGHTS)
            if len(plan.words) > 1 or plan.any_group:
                rank = rank + Case(
                    When(title_vector=phrase, then=Value(1.0)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
            goods = goods.alias(title_vector=TitleVector(F("search_vector")))
            goods = goods.alias(relevance=rank).order_by(
                F("relevance").desc(), *SORTS[DEFAULT_SORT]
            )
        ids = list(goods.values_list("pk", flat=True)[offset : offset + limit])
        return Hits(ids=ids, total=total)

    def index(self, product_ids) -> None:
        """Nothing to do: the vector is a generated column of the product row."""
