"""The search interface every backend implements, and the shapes it speaks in.

A shopper's query is understood once, the same way for every backend
(``catalog.search.understanding``): cut into words, each word widened with its synonyms
and, for Latin letters that are pinyin or initials (erji, ej), the Chinese words they
spell. That is a ``Plan``: every group must match (AND), any alternative within a group
may (OR). A backend runs a plan against the listed goods with the listing filters and
returns the ids of one page and a capped count.
"""

from dataclasses import dataclass, field
from typing import Protocol

from mall.paging import COUNT_CAP


@dataclass(frozen=True)
class Group:
    """One word of the query and the words it may also be found as."""

    word: str
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    groups: tuple[Group, ...]
    # Relaxed: any group may match (goods matching more groups first), not all.
    any_group: bool = False

    @property
    def words(self) -> list[str]:
        return [group.word for group in self.groups]


@dataclass
class Hits:
    ids: list[int]
    total: int  # capped at COUNT_CAP + 1

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


@dataclass
class SearchResult:
    """What a search found and what it did to find it."""

    query: str
    words: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    total: int = 0
    # The goods match only some of the words (nothing matched them all).
    relaxed: bool = False
    # "Did you mean": a spelling that finds goods, offered when the query found none;
    # ``corrected`` when the goods shown are those of the suggestion.
    suggestion: str = ""
    corrected: bool = False

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP


class SearchBackend(Protocol):
    """A place the listed goods are searched in."""

    def hits(self, plan: Plan, *, filters: dict, sort: str, offset: int, limit: int) -> Hits:
        """Ids of the goods matching ``plan`` and the listing ``filters`` (those of
        ``catalog.selectors.listed_products``), sorted by ``sort`` (``relevance``: title
        over the rest, the whole query as a phrase first), ``limit`` from ``offset``,
        and their number capped at ``COUNT_CAP + 1``."""

    def index(self, product_ids: list[int]) -> None:
        """Bring the backend up to date with these goods (listed or not)."""
