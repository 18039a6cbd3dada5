"""Gift cards in the admin: issued from a form with a reason (into a shopper's wallet or
to hand out, numbers exported as CSV), read-only with their ledger; the liability report
(``/admin/marketing/gift-card-liability/``) for finance, from SQL aggregates."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.admin.readonly import ReadOnlyInline
from mall.reports import csv_response

from ..exceptions import GiftCardRefused
from ..forms.giftcards import IssueGiftCardsForm
from ..models import GiftCard, GiftCardEntry
from ..selectors.figures import gift_card_liability
from ..services import giftcards

LIABILITY = "marketing.view_liability_report"


class EntryInline(ReadOnlyInline):
    model = GiftCardEntry
    fields = ("created_at", "kind", "amount", "order", "reason", "actor")
    verbose_name_plural = _("gift card ledger")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "actor")


@admin.action(
    description=_("Download the numbers of the selected cards (CSV)"), permissions=["add"]
)
def export_numbers(modeladmin, request, queryset):
    rows = queryset.order_by("pk").values_list(
        "code", "face_value", "balance", "expires_at", "reason"
    )
    return csv_response(
        "gift-cards.csv",
        [_("card number"), _("face value"), _("balance"), _("expires at"), _("reason")],
        (
            [code, value, balance, until.isoformat() if until else "", reason]
            for code, value, balance, until, reason in rows
        ),
    )


@admin.register(GiftCard)
class GiftCardAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "face_value",
        "balance",
        "status",
        "owner",
        "issued_at",
        "expires_at",
        "issued_by",
        "reason",
    )
    list_filter = ("status",)
    list_select_related = ("owner", "issued_by")
    search_fields = ("code", "owner__phone", "owner__email", "reason")
    actions = [export_numbers]
    inlines = [EntryInline]
    fields = (
        "code",
        "face_value",
        "balance",
        "status",
        "owner",
        "bound_at",
        "issued_by",
        "reason",
        "issued_at",
        "expires_at",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueGiftCardsForm(request.POST or None, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                cards = giftcards.issue_gift_cards(
                    face_value=data["face_value"],
                    quantity=data["quantity"],
                    valid_days=data["valid_days"],
                    owner=data["owner"],
                    reason=data["reason"],
                    actor=request.user,
                )
            except GiftCardRefused as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _(
                        "%(count)s gift card(s) of %(value)s issued: select them to download "
                        "their numbers."
                    )
                    % {"count": len(cards), "value": data["face_value"]},
                    messages.SUCCESS,
                )
                ids = ",".join(str(card.pk) for card in cards)
                return HttpResponseRedirect(
                    reverse("admin:marketing_giftcard_changelist") + f"?id__in={ids}"
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Issue gift cards"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/marketing/giftcard/issue.html", context)


class LiabilityForm(forms.Form):
    as_of = forms.DateField(
        label=_("as of the end of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def liability_view(request):
    """What the shop owes on gift cards, by month of issue, as of a day: from the ledger
    (one query), beside the balances' total (one more), which must agree."""
    if not request.user.has_perm(LIABILITY):
        raise PermissionDenied
    form = LiabilityForm(request.GET or None)
    day = form.cleaned_data.get("as_of") if form.is_valid() else None
    as_of = (
        datetime.datetime.combine(day, datetime.time.max, tzinfo=timezone.get_current_timezone())
        if day
        else None
    )
    report = gift_card_liability(as_of=as_of)
    columns = [
        _("month issued"),
        _("cards"),
        _("issued"),
        _("spent"),
        _("given back"),
        _("outstanding"),
    ]
    table = [
        [
            row["month"].strftime("%Y-%m") if row["month"] else "",
            row["cards"],
            row["issued"],
            -row["spent"],
            row["back"],
            row["outstanding"],
        ]
        for row in report["rows"]
    ]
    if request.GET.get("format") == "csv":
        return csv_response("gift-card-liability.csv", columns, table)
    query = request.GET.copy()
    query["format"] = "csv"
    context = {
        **admin.site.each_context(request),
        "title": _("Gift card liability"),
        "form": form,
        "columns": columns,
        "table": table,
        "report": report,
        "as_of": as_of,
        "csv_url": "?" + query.urlencode(),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/marketing/giftcard/liability.html", context)


admin.site.register_page(
    route="marketing/gift-card-liability/",
    view=liability_view,
    name="marketing_gift_card_liability",
    label=_("Gift card liability"),
    section=_("Promotions"),
    permission=LIABILITY,
)
