"""The FAQ knowledge base: categories and articles in Chinese and English, shown in the
storefront's help centre, suggested while a shopper types a ticket, and drawn on by
agents as canned answers. Agents turn good answers into draft articles.
The tables keep the names they had in the customers app, where these models lived
until customer service became an app of its own (migration support 0001).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FaqCategory(models.Model):
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=50)
    slug = models.SlugField(_("slug"), unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        db_table = "customers_faqcategory"
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


class FaqArticle(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    category = models.ForeignKey(
        FaqCategory,
        verbose_name=pgettext_lazy("faq", "category"),
        on_delete=models.PROTECT,
        related_name="articles",
    )
    title = models.CharField(_("question"), max_length=200)
    title_en = models.CharField(_("question in English"), max_length=200, blank=True)
    body = models.TextField(_("answer"))
    body_en = models.TextField(_("answer in English"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # Lower-cased questions and answers in both languages, matched by substring (Chinese
    # has no spaces between words) with a trigram index, like the goods' search.
    search_text = models.TextField(editable=False, default="", verbose_name=_("search text"))
    source_ticket = models.ForeignKey(
        "support.Ticket",
        verbose_name=_("drafted from ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        "customers.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # "Was this helpful?" answers: many "no" votes say the article needs rewriting.
    helpful = models.PositiveIntegerField(_("found helpful"), default=0)
    not_helpful = models.PositiveIntegerField(_("found not helpful"), default=0)

    class Meta:
        db_table = "customers_faqarticle"
        verbose_name = _("FAQ article")
        verbose_name_plural = _("FAQ articles")
        ordering = ["category__position", "position", "pk"]
        indexes = [
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="faq_article_search_trgm"),
        ]

    def __str__(self):
        return self.title
