"""The FAQ knowledge base in the back office (operators: add, change, view).

Articles are saved through ``customers.services.knowledge.save_article`` so their search
text always matches what they say; publishing and unpublishing are actions (and the status
field of the form). Drafts that agents made from a ticket's answer show their ticket.
Registered by ``customers/admin.py``.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.support.models import FaqArticle, FaqCategory
from customers.support.services import knowledge
from mall.admin.actions import ServiceAction, ServiceActionsMixin, make_admin_action

PUBLISHED = FaqArticle.Status.PUBLISHED


@admin.register(FaqCategory)
class FaqCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "slug", "position", "published_count", "draft_count")
    list_editable = ("position",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    ordering = ("position", "pk")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                published_total=Count("articles", filter=Q(articles__status=PUBLISHED)),
                draft_total=Count("articles", filter=~Q(articles__status=PUBLISHED)),
            )
        )

    @admin.display(description=_("published articles"), ordering="published_total")
    def published_count(self, category):
        return category.published_total

    @admin.display(description=_("drafts"), ordering="draft_total")
    def draft_count(self, category):
        return category.draft_total


class FaqArticleForm(forms.ModelForm):
    class Meta:
        model = FaqArticle
        fields = ("category", "status", "position", "title", "body", "title_en", "body_en")
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10, "cols": 80}),
            "body_en": forms.Textarea(attrs={"rows": 10, "cols": 80}),
        }

    def clean(self):
        data = super().clean()
        # An English page shows the English question with the English answer: one without
        # the other would mix the languages.
        title_en, body_en = (data.get("title_en") or "").strip(), (data.get("body_en") or "")
        if bool(title_en) != bool(body_en.strip()):
            raise forms.ValidationError(
                _("Give both the English question and its answer, or neither.")
            )
        return data


class FromTicketFilter(admin.SimpleListFilter):
    title = _("origin")
    parameter_name = "from_ticket"

    def lookups(self, request, model_admin):
        return [("yes", _("drafted from a ticket")), ("no", _("written by an editor"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(source_ticket__isnull=False)
        if self.value() == "no":
            return queryset.filter(source_ticket__isnull=True)
        return queryset


def _publish(article, actor, reason):
    return knowledge.publish_article(article=article, actor=actor)


def _unpublish(article, actor, reason):
    return knowledge.unpublish_article(article=article, actor=actor)


ARTICLE_ACTIONS = [
    ServiceAction(
        name="publish",
        label=_("Publish in the help centre"),
        done=_("%(count)d article(s) published."),
        perform=_publish,
        sources=frozenset({FaqArticle.Status.DRAFT}),
        refusals=(knowledge.KnowledgeError,),
    ),
    ServiceAction(
        name="unpublish",
        label=_("Unpublish (back to draft)"),
        done=_("%(count)d article(s) back to draft."),
        perform=_unpublish,
        sources=frozenset({PUBLISHED}),
        refusals=(knowledge.KnowledgeError,),
    ),
]


@admin.register(FaqArticle)
class FaqArticleAdmin(ServiceActionsMixin, admin.ModelAdmin):
    form = FaqArticleForm
    list_display = (
        "title",
        "category",
        "status",
        "in_english",
        "helpful",
        "not_helpful",
        "source",
        "updated_at",
    )
    list_filter = ("status", "category", FromTicketFilter)
    list_select_related = ("category", "source_ticket")
    search_fields = ("title", "title_en", "body", "body_en")
    search_help_text = _("Question or answer, in Chinese or English")
    service_actions = ARTICLE_ACTIONS
    actions = [make_admin_action(spec) for spec in ARTICLE_ACTIONS]
    readonly_fields = ("source", "helpful", "not_helpful", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("category", "status", "position")}),
        (_("Chinese"), {"fields": ("title", "body")}),
        (
            _("English"),
            {
                "fields": ("title_en", "body_en"),
                "description": _("Optional: English pages show the Chinese text without it."),
            },
        ),
        (
            pgettext_lazy("faq", "History"),
            {
                "fields": (
                    "source",
                    "helpful",
                    "not_helpful",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        # The service keeps search_text in step with the texts (and records the author).
        knowledge.save_article(article=obj, actor=request.user)

    @admin.display(description=_("English"), boolean=True)
    def in_english(self, article):
        return bool(article.title_en.strip())

    @admin.display(description=_("drafted from ticket"), ordering="source_ticket")
    def source(self, article):
        ticket = article.source_ticket
        if ticket is None:
            return "—"
        label = f"{ticket.number} · {ticket.subject}"
        try:
            url = reverse("admin:support_ticket_change", args=[ticket.pk])
        except NoReverseMatch:  # tickets are worked in the ticket view, maybe not here
            return label
        return format_html('<a href="{}">{}</a>', url, label)
