"""Keeping search's reference data: the vocabulary of the goods' words (for pinyin,
autosuggest and "did you mean") and the operators' synonyms."""

from django.db import connection, transaction

from ..models import Product, SearchSynonym, SearchTerm
from ..search.segmenting import initials, pinyin
from . import pages

# Words of titles and details (weights A and B) of listed goods, with how many goods
# use each: PostgreSQL counts them from the search vectors in one pass.
_VOCABULARY = """
SELECT word, ndoc FROM ts_stat(
    'SELECT search_vector FROM catalog_product WHERE status = ''listed''', 'ab'
)
WHERE length(word) BETWEEN 1 AND 60
"""


@transaction.atomic
def rebuild_search_terms() -> int:
    """Replace the vocabulary with the words of the listed goods now; returns how many.
    Runs hourly (beat) and after ``seed_demo``; safe to run at any time."""
    with connection.cursor() as cursor:
        cursor.execute(_VOCABULARY)
        rows = cursor.fetchall()
    SearchTerm.objects.all().delete()
    SearchTerm.objects.bulk_create(
        (
            SearchTerm(
                term=word,
                pinyin=pinyin(word)[:240],
                initials=initials(word)[:60],
                documents=count,
            )
            for word, count in rows
            if not word.isdigit()
        ),
        batch_size=5000,
    )
    return SearchTerm.objects.count()


def clean_terms(terms) -> list[str]:
    return list(dict.fromkeys(t.strip().lower() for t in terms if t and t.strip()))


@transaction.atomic
def save_synonym(*, synonym: SearchSynonym, actor=None) -> SearchSynonym:
    """Save an operator's synonym group (at least two different words); searches use it
    from the next request on, without re-indexing goods. Raises ``ValueError`` with fewer
    than two words."""
    synonym.terms = clean_terms(synonym.terms)
    if len(synonym.terms) < 2:
        raise ValueError("A synonym group needs at least two different words.")
    synonym.save()
    pages.listings_changed()
    return synonym


@transaction.atomic
def delete_synonym(*, synonym: SearchSynonym, actor=None) -> None:
    synonym.delete()
    pages.listings_changed()


def reindex_goods(*, batch_size: int = 2000, progress=None) -> int:
    """Segment every product's text again (after the dictionary changed); returns how
    many. The vector follows the text by itself (a generated column)."""
    from .listing import build_search_text

    done = 0
    batch = []
    fields = ("pk", "name", "subtitle", "brand", "origin", "attributes", "description")
    for product in Product.objects.only(*fields).iterator(chunk_size=batch_size):
        product.search_text = build_search_text(product)
        batch.append(product)
        if len(batch) >= batch_size:
            Product.objects.bulk_update(batch, ["search_text"])
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    Product.objects.bulk_update(batch, ["search_text"])
    done += len(batch)
    pages.listings_changed()
    return done
