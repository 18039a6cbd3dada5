"""Search's reference data: the synonyms operators keep, and the vocabulary of the listed
goods' words (with their pinyin) that pinyin input, autosuggest and "did you mean" read."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchSynonym(models.Model):
    """Words a shopper may use for one another (手机壳 = 保护壳): a query with any of them
    finds goods described with any other. Read at query time, so a change applies to the
    next search without re-indexing goods."""

    terms = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("words"),
        help_text=_("Two or more words that mean the same to a shopper, separated by commas."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")
        ordering = ["pk"]

    def __str__(self):
        return " = ".join(self.terms)


class SearchTerm(models.Model):
    """One word of the listed goods' titles, brands and attributes, with how many goods use
    it and its pinyin; rebuilt from the search index by ``rebuild_search_terms``."""

    term = models.CharField(_("word"), max_length=60, unique=True)
    pinyin = models.CharField(_("pinyin"), max_length=240, blank=True, db_index=True)
    initials = models.CharField(_("pinyin initials"), max_length=60, blank=True, db_index=True)
    documents = models.PositiveIntegerField(_("goods"), default=0)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")
        ordering = ["-documents", "term"]
        indexes = [
            # Autosuggest: words, pinyin and initials that start with what was typed.
            models.Index(OpClass("term", name="text_pattern_ops"), name="search_term_prefix_idx"),
            models.Index(
                OpClass("pinyin", name="text_pattern_ops"), name="search_pinyin_prefix_idx"
            ),
            # "Did you mean": words close to a misspelt one.
            GinIndex(OpClass("term", name="gin_trgm_ops"), name="search_term_trgm"),
            GinIndex(OpClass("pinyin", name="gin_trgm_ops"), name="search_pinyin_trgm"),
        ]

    def __str__(self):
        return self.term
