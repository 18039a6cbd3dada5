"""One search, with its fallbacks: all the words; else goods matching some of them
(most first); else words of the goods that contain the query's (茶 -> 绿茶); else the
"did you mean" spelling. A shopper gets an empty page only when none of that finds
anything."""

from .base import SearchResult
from .registry import backend
from .understanding import did_you_mean, plan, similar_plan, synonyms


def search(
    query: str, *, sort: str = "relevance", offset: int = 0, limit: int = 24, **filters
) -> SearchResult:
    """The goods for ``query`` with the listing ``filters``: the ids of ``limit`` goods
    from ``offset`` and the count (capped), with what the search had to do."""
    engine = backend()
    table = synonyms()  # read once for the search and its fallbacks
    understood = plan(query, table=table)
    result = SearchResult(query=query, words=understood.words)
    if not understood.groups:
        return result

    def run(p):
        return engine.hits(p, filters=filters, sort=sort, offset=offset, limit=limit)

    hits = run(understood)
    if not hits.total and len(understood.groups) > 1:
        hits = run(type(understood)(groups=understood.groups, any_group=True))
        result.relaxed = bool(hits.total)
    if not hits.total:
        similar = similar_plan(understood.words, table=table)
        if similar is not None:
            hits = run(similar)
    if not hits.total:
        suggestion = did_you_mean(understood.words)
        if suggestion:
            result.suggestion = suggestion
            corrected = plan(suggestion, table=table)
            if corrected.groups:
                hits = run(corrected)
                result.corrected = bool(hits.total)
    result.ids, result.total = hits.ids, hits.total
    return result
