"""Autosuggest as the shopper types: words of the goods that begin with what was typed,
in characters (耳 -> 耳机), full pinyin (erj -> 耳机) or initials (ej -> 耳机), the most
used first. One indexed query on the vocabulary."""

from django.db.models import Q

from ..models import SearchTerm
from .segmenting import has_chinese

MAX_PREFIX = 30


def suggest(prefix: str, *, limit: int = 8) -> list[str]:
    prefix = "".join(c for c in (prefix or "").strip().lower() if c.isprintable())[:MAX_PREFIX]
    if not prefix:
        return []
    match = Q(term__startswith=prefix)
    if not has_chinese(prefix) and prefix.isalpha():
        match |= Q(pinyin__startswith=prefix) | Q(initials__startswith=prefix)
    rows = SearchTerm.objects.filter(match).order_by("-documents", "term")
    return list(rows.values_list("term", flat=True)[:limit])
