"""Admin for stocktakes (盘点): open a count, enter counts, see variances and their value,
and move the count through submit / send back / approve / cancel.

Every write goes through ``catalog.services.stocktake``: the add page calls
``open_stocktake``, the count table ``record_count`` (one call per changed line), the
buttons and the changelist actions the transition services. Refusals come back as admin
messages. The change page is a page of our own (templates/admin/catalog/stocktake/), not
a model form: nothing of a stocktake is edited by hand.

Counting is blind for whoever may only count (the warehouse role): the book quantity,
the variance and its value show only to users who run or approve counts.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import STOCKTAKE_MACHINE, Category, Stocktake, StocktakeLine, Warehouse
from catalog.selectors import stocktake as selectors
from catalog.services import stocktake as stocktakes
from mall.admin.actions import REFUSALS, ServiceActionsMixin, make_admin_action, transition_action

LINES_PER_PAGE = 100

STOCKTAKE_ACTIONS = [
    transition_action(
        STOCKTAKE_MACHINE,
        "submit",
        label=_("Submit for approval"),
        done=_("%(count)d count(s) submitted for approval."),
        perform=lambda s, actor, reason: stocktakes.submit_stocktake(stocktake=s, actor=actor),
    ),
    transition_action(
        STOCKTAKE_MACHINE,
        "recount",
        label=_("Send back to count again"),
        done=_("%(count)d count(s) sent back to the counters."),
        perform=lambda s, actor, reason: stocktakes.send_back_for_recount(
            stocktake=s, actor=actor, reason=reason
        ),
        reason_label=_("What should be counted again, and why"),
    ),
    transition_action(
        STOCKTAKE_MACHINE,
        "approve",
        label=_("Approve and post the variances"),
        done=_("%(count)d count(s) approved; their variances were posted."),
        perform=lambda s, actor, reason: stocktakes.approve_stocktake(stocktake=s, actor=actor),
    ),
    transition_action(
        STOCKTAKE_MACHINE,
        "cancel",
        label=_("Cancel (posts nothing)"),
        done=_("%(count)d count(s) cancelled."),
        perform=lambda s, actor, reason: stocktakes.cancel_stocktake(
            stocktake=s, actor=actor, reason=reason
        ),
        reason_label=_("Reason for cancelling"),
    ),
]
ACTION_BY_NAME = {spec.name: spec for spec in STOCKTAKE_ACTIONS}


def sees_book_figures(user) -> bool:
    """Who runs or approves counts sees book quantities; counters count blind."""
    return user.has_perm("catalog.change_stocktake") or user.has_perm("catalog.approve_stocktake")


def may(user, name: str) -> bool:
    """Whether ``user`` may perform transition ``name`` (the state is checked elsewhere)."""
    if name == "submit":  # counters hand in their own count
        return user.has_perm("catalog.change_stocktake") or user.has_perm(
            "catalog.change_stocktakeline"
        )
    if name == "approve":
        return user.has_perm("catalog.approve_stocktake")
    return user.has_perm("catalog.change_stocktake")


class OpenStocktakeForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )
    scope = forms.ChoiceField(
        label=_("what to count"),
        choices=Stocktake.Scope.choices,
        widget=forms.RadioSelect,
        initial=Stocktake.Scope.ALL,
    )
    category = forms.ModelChoiceField(
        label=_("category"),
        queryset=Category.objects.order_by("name"),
        required=False,
        help_text=_("For a category count: its subcategories are counted too."),
    )
    sample_size = forms.IntegerField(
        label=_("sample size"),
        min_value=1,
        required=False,
        help_text=_("For a random sample: how many stock rows (those with goods first)."),
    )
    freeze = forms.BooleanField(
        label=_("Freeze sales during the count"),
        required=False,
        help_text=_(
            "Counted goods cannot be sold from this warehouse until the count is approved or "
            "cancelled. Without it, sales go on and each count is compared with the book "
            "quantity at the moment it is entered."
        ),
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def service_arguments(self) -> dict:
        """Only the fields the chosen scope uses: a category left selected while counting
        everything is not an error worth showing."""
        data = dict(self.cleaned_data)
        if data["scope"] != Stocktake.Scope.CATEGORY:
            data["category"] = None
        if data["scope"] != Stocktake.Scope.SAMPLE:
            data["sample_size"] = None
        return data


class TransitionForm(forms.Form):
    transition = forms.ChoiceField(choices=[(name, name) for name in ACTION_BY_NAME])
    reason = forms.CharField(required=False, max_length=2000)


@admin.register(Stocktake)
class StocktakeAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "warehouse",
        "scope_label",
        "status",
        "frozen",
        "opened_at",
        "opened_by",
        "progress",
        "net_value",
    )
    list_filter = ("status", "warehouse", "scope", "freeze")
    list_select_related = ("warehouse", "opened_by", "category")
    search_fields = ("note", "warehouse__name", "warehouse__code")
    date_hierarchy = "opened_at"
    service_actions = STOCKTAKE_ACTIONS
    actions = [make_admin_action(spec) for spec in STOCKTAKE_ACTIONS]

    def get_queryset(self, request):
        return selectors.with_progress(super().get_queryset(request))

    def has_delete_permission(self, request, obj=None):
        return False  # a count ends by approval or cancellation, and keeps its history

    @admin.display(description=_("number"), ordering="pk")
    def number(self, obj):
        return obj.pk

    @admin.display(description=_("scope"), ordering="scope")
    def scope_label(self, obj):
        if obj.scope == Stocktake.Scope.CATEGORY:
            return f"{obj.get_scope_display()}: {obj.category}"
        if obj.scope == Stocktake.Scope.SAMPLE:
            return f"{obj.get_scope_display()} ({obj.sample_size})"
        return obj.get_scope_display()

    @admin.display(description=_("sales frozen"), boolean=True, ordering="freeze")
    def frozen(self, obj):
        return obj.freeze

    @admin.display(description=_("counted"))
    def progress(self, obj):
        return f"{obj.counted_count}/{obj.line_count}"

    @admin.display(description=_("net variance value"))
    def net_value(self, obj):
        return "—" if obj.net_value is None else obj.net_value

    # --- Opening ---------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OpenStocktakeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                stocktake = stocktakes.open_stocktake(
                    actor=request.user, **form.service_arguments()
                )
            except REFUSALS as error:
                form.add_error(None, str(error))
            else:
                self.log_addition(request, stocktake, [{"added": {}}])
                self.message_user(
                    request,
                    gettext("%(stocktake)s opened with %(count)d line(s) to count.")
                    % {"stocktake": stocktake, "count": stocktake.lines.count()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(stocktake))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Open a stocktake"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/stocktake/open.html", context)

    # --- The count ---------------------------------------------------------------------------

    def _change_url(self, stocktake, query=""):
        url = reverse(f"{self.admin_site.name}:catalog_stocktake_change", args=[stocktake.pk])
        return f"{url}?{query}" if query else url

    def change_view(self, request, object_id, form_url="", extra_context=None):
        stocktake = self.get_object(request, unquote(object_id))
        if stocktake is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, stocktake):
            raise PermissionDenied
        if request.method == "POST":
            if "transition" in request.POST:
                self._perform_transition(request, stocktake)
            else:
                self._save_counts(request, stocktake)
            return HttpResponseRedirect(self._change_url(stocktake, request.GET.urlencode()))
        return TemplateResponse(
            request, "admin/catalog/stocktake/detail.html", self._detail_context(request, stocktake)
        )

    def _detail_context(self, request, stocktake):
        user = request.user
        show = request.GET.get("show", "")
        lines = selectors.stocktake_lines(stocktake)
        book_figures = sees_book_figures(user)
        if show == "uncounted":
            lines = lines.filter(counted__isnull=True)
        elif show == "variances" and book_figures:
            lines = lines.filter(Q(variance_units__gt=0) | Q(variance_units__lt=0))
        page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("p"))
        status = stocktake.status
        transitions = [
            ACTION_BY_NAME[name]
            for name in STOCKTAKE_MACHINE.allowed_from(status)
            if may(user, name)
        ]
        return {
            **self.admin_site.each_context(request),
            "title": str(stocktake),
            "opts": self.opts,
            "original": stocktake,
            "stocktake": stocktake,
            "page": page,
            "show": show,
            "totals": selectors.stocktake_totals(stocktake),
            "book_figures": book_figures,
            "can_count": status == Stocktake.Status.COUNTING
            and user.has_perm("catalog.change_stocktakeline"),
            "transitions": transitions,
            "history": self._history(stocktake),
            "counting_page": reverse("stocktake:count", args=[stocktake.pk]),
            "has_view_permission": True,
        }

    def _history(self, stocktake):
        labels = dict(Stocktake.Status.choices)
        history = list(stocktake.history.select_related("actor").order_by("at", "pk"))
        for change in history:
            if change.transition in STOCKTAKE_MACHINE.transitions:
                change.action_label = STOCKTAKE_MACHINE[change.transition].label
            else:
                change.action_label = gettext("open the count")
            change.from_label = labels.get(change.from_state, change.from_state)
            change.to_label = labels.get(change.to_state, change.to_state)
        return history

    def _perform_transition(self, request, stocktake):
        form = TransitionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, gettext("Unknown action."), messages.ERROR)
            return
        spec = ACTION_BY_NAME[form.cleaned_data["transition"]]
        if not may(request.user, spec.name):
            raise PermissionDenied
        try:
            spec.perform(stocktake, request.user, form.cleaned_data["reason"])
        except REFUSALS as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, spec.done % {"count": 1}, messages.SUCCESS)

    def _save_counts(self, request, stocktake):
        """Record every line whose box changed; each count stands on its own, so one
        refusal does not lose the others."""
        if not request.user.has_perm("catalog.change_stocktakeline"):
            raise PermissionDenied
        entered = {}
        for key, value in request.POST.items():
            if key.startswith("count-") and key[6:].isdigit() and value.strip() != "":
                entered[int(key[6:])] = value.strip()
        lines = StocktakeLine.objects.filter(stocktake=stocktake, pk__in=entered).select_related(
            "stock__sku__product"
        )
        saved, refused = 0, []
        for line in lines.order_by("pk"):
            raw = entered[line.pk]
            if not raw.isdigit():
                refused.append(
                    gettext("%(sku)s: “%(value)s” is not a whole number 0 or more.")
                    % {"sku": line.stock.sku.code, "value": raw}
                )
                continue
            if line.counted == int(raw):
                continue  # unchanged: keep who counted it and when
            try:
                stocktakes.record_count(line=line, counted=int(raw), actor=request.user)
            except REFUSALS as error:
                refused.append(f"{line.stock.sku.code}: {error}")
            else:
                saved += 1
        for message in refused:
            self.message_user(request, message, messages.ERROR)
        if saved or not refused:
            self.message_user(
                request,
                gettext("%(count)d count(s) saved.") % {"count": saved},
                messages.SUCCESS,
            )
