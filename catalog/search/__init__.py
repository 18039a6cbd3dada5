"""Search of the listed goods: Chinese word segmentation (jieba, the shop's dictionary),
synonyms, pinyin, fallbacks and suggestions, behind one backend interface (PostgreSQL
full text by default, OpenSearch/Elasticsearch as an adapter). See the README's
"Search" section. Callers use the names re-exported here."""

from .base import COUNT_CAP, Group, Hits, Plan, SearchBackend, SearchResult
from .registry import backend
from .searching import search
from .suggesting import suggest

__all__ = [
    "COUNT_CAP",
    "Group",
    "Hits",
    "Plan",
    "SearchBackend",
    "SearchResult",
    "backend",
    "search",
    "suggest",
]
