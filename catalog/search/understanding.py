"""What a shopper meant: the query's words, widened with synonyms and pinyin.

- Words: jieba's precise cut of the query (``segmenting.query_words``), at most
  ``MAX_WORDS``.
- Synonyms (``SearchSynonym``, kept by operators in the admin): 手机壳 also finds 保护壳.
  Read from the cache, refilled from the database after an operator's change.
- Pinyin: a Latin word that is not a word of the goods but is the full pinyin (erji) or
  the initials (ej) of one is read as that Chinese word (the most used few, when
  several spell the same).
- Did you mean: for a query that found nothing, each word is replaced by the closest word
  of the goods: the same pinyin (蓝芽 -> 蓝牙, a slip of the pinyin keyboard) or, for a
  misspelt Latin word, the most similar spelling (trigram similarity).
- Similar words: a Chinese word that is no word of the goods (茶, 耳) may be a part of
  some (绿茶, 耳机): the most used words containing it.

One query on the vocabulary (``SearchTerm``) per search, and none for synonyms while the
cache holds them.
"""

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Q
from django.db.models.functions import Greatest

from mall import pagecache

from ..models import SearchSynonym, SearchTerm
from ..services.pages import LISTINGS
from .base import Group, Plan
from .segmenting import has_chinese, pinyin, query_words

MAX_WORDS = 8
PINYIN_READINGS = 3
SIMILAR_WORDS = 5
SYNONYMS_CACHE_KEY = "catalog:search:synonyms"


def _load_synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for terms in SearchSynonym.objects.values_list("terms", flat=True):
        words = [t.strip().lower() for t in terms if t and t.strip()]
        for word in words:
            others = [w for w in words if w != word]
            table[word] = tuple(dict.fromkeys(table.get(word, ()) + tuple(others)))
    return table


def synonyms() -> dict[str, tuple[str, ...]]:
    """Every word with synonyms -> its synonyms (itself excluded). Cached until the
    listings' version changes, which saving a synonym does."""
    return pagecache.remembered(SYNONYMS_CACHE_KEY, LISTINGS, _load_synonyms)


def _widen(word: str, table) -> tuple[str, ...]:
    return tuple(dict.fromkeys((word, *table.get(word, ()))))


def plan(query: str, *, table=None) -> Plan:
    """The plan of ``query``: one group per word (empty when there is no word).
    ``table``: the synonyms, when the caller has them already."""
    words = query_words(query)[:MAX_WORDS]
    if not words:
        return Plan(groups=())
    table = synonyms() if table is None else table
    latin = [w for w in words if not has_chinese(w) and w.isalpha()]
    readings: dict[str, list[str]] = {}
    if latin:
        rows = SearchTerm.objects.filter(
            Q(term__in=latin) | Q(pinyin__in=latin) | Q(initials__in=latin)
        ).values_list("term", "pinyin", "initials", "documents")
        known = set()
        for term, spelled, initials, _documents in sorted(rows, key=lambda r: -r[3]):
            known.add(term)
            for word in latin:
                if word in (spelled, initials) and len(readings.get(word, [])) < PINYIN_READINGS:
                    readings.setdefault(word, []).append(term)
        readings = {w: r for w, r in readings.items() if w not in known}
    groups = []
    for word in words:
        alternatives = _widen(word, table)
        for reading in readings.get(word, []):
            alternatives += tuple(a for a in _widen(reading, table) if a not in alternatives)
        groups.append(Group(word=word, alternatives=alternatives))
    return Plan(groups=tuple(groups))


def similar_plan(words: list[str], *, table=None) -> Plan | None:
    """Words the goods use that contain a Chinese word of the query that they do not
    (茶 -> 绿茶, 红茶, ...): the fallback before giving up. ``None`` when there are none."""
    table = synonyms() if table is None else table
    groups, found = [], False
    for word in words:
        alternatives = _widen(word, table)
        if has_chinese(word):
            similar = SearchTerm.objects.filter(term__contains=word).exclude(term=word)
            extra = list(similar.values_list("term", flat=True)[:SIMILAR_WORDS])
            if extra:
                found = True
                alternatives += tuple(extra)
        groups.append(Group(word=word, alternatives=alternatives))
    return Plan(groups=tuple(groups)) if found else None


def did_you_mean(words: list[str]) -> str:
    """The query with each unknown word replaced by the closest word of the goods, or
    "" when no word could be improved."""
    known = set(SearchTerm.objects.filter(term__in=words).values_list("term", flat=True))
    changed, result = False, []
    for word in words:
        better = None if word in known else _closest(word)
        if better and better != word:
            changed = True
            result.append(better)
        else:
            result.append(word)
    joiner = "" if all(has_chinese(w) for w in result) else " "
    return joiner.join(result) if changed else ""


def _closest(word: str) -> str | None:
    if has_chinese(word):
        spelled = pinyin(word)
        same_sound = SearchTerm.objects.filter(pinyin=spelled).exclude(term=word).first()
        if same_sound:
            return same_sound.term
        candidates = SearchTerm.objects.filter(term__trigram_similar=word)
        similarity = TrigramSimilarity("term", word)
    else:
        candidates = SearchTerm.objects.filter(
            Q(term__trigram_similar=word) | Q(pinyin__trigram_similar=word)
        )
        similarity = Greatest(TrigramSimilarity("term", word), TrigramSimilarity("pinyin", word))
    best = candidates.annotate(similarity=similarity).order_by("-similarity", "-documents").first()
    return best.term if best else None
