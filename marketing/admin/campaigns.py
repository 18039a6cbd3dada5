"""Campaigns in the admin: an operator drafts the plan (theme, audience, goals, period,
budget, cost estimate, risks, contingency, owner) and submits it; a manager who did not
write it approves or rejects it with a reason; the list offers the steps the machine
allows and shows spend against budget. A submitted campaign is read-only with its history
and its budget ledger. Each campaign links to its live page and its review."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.readonly import ReadOnlyInline, ReadOnlyMixin
from mall.errors import DomainError
from mall.money import format_money

from ..forms.campaigns import CampaignForm
from ..models import CAMPAIGN_MACHINE, Campaign, CampaignSpend, CampaignStatusChange
from ..selectors.campaigns import live_figures, review_figures
from ..selectors.plan import annual_plan
from ..services import campaigns
from ..services.campaigns.planning import EDITABLE

# How often the live page asks for fresh figures.
POLL_SECONDS = 10


class ConclusionsForm(forms.Form):
    conclusions = forms.CharField(
        label=_("The owner's conclusions"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("What worked, what did not, what to do next time. Required to close."),
    )


def _submit(campaign, actor, _reason):
    return campaigns.submit_campaign(campaign=campaign, actor=actor)


def _approve(campaign, actor, reason):
    return campaigns.approve_campaign(campaign=campaign, actor=actor, reason=reason)


def _reject(campaign, actor, reason):
    return campaigns.reject_campaign(campaign=campaign, actor=actor, reason=reason)


def _start(campaign, actor, _reason):
    return campaigns.start_campaign(campaign=campaign, actor=actor)


def _end(campaign, actor, reason):
    return campaigns.end_campaign(campaign=campaign, actor=actor, reason=reason)


def _cancel(campaign, actor, reason):
    return campaigns.cancel_campaign(campaign=campaign, actor=actor, reason=reason)


def _close(campaign, actor, conclusions):
    return campaigns.close_review(campaign=campaign, actor=actor, conclusions=conclusions)


CAMPAIGN_ACTIONS = (
    transition_action(
        CAMPAIGN_MACHINE,
        "submit",
        label=_("Submit for a manager's approval"),
        done=_("%(count)d campaign(s) submitted."),
        perform=_submit,
    ),
    transition_action(
        CAMPAIGN_MACHINE,
        "approve",
        label=_("Approve (as a manager who did not write it)"),
        done=_("%(count)d campaign(s) approved."),
        perform=_approve,
        reason_label=_("A note for the owner (optional)"),
        reason_required=False,
        permission="approve",
    ),
    transition_action(
        CAMPAIGN_MACHINE,
        "reject",
        label=_("Reject"),
        done=_("%(count)d campaign(s) rejected."),
        perform=_reject,
        reason_label=_("Why is it rejected?"),
        permission="approve",
    ),
    transition_action(
        CAMPAIGN_MACHINE,
        "start",
        label=_("Start now"),
        done=_("%(count)d campaign(s) started."),
        perform=_start,
    ),
    transition_action(
        CAMPAIGN_MACHINE,
        "end",
        label=_("End now"),
        done=_("%(count)d campaign(s) ended."),
        perform=_end,
        reason_label=_("Why does it end early?"),
        reason_required=False,
    ),
    transition_action(
        CAMPAIGN_MACHINE,
        "cancel",
        label=_("Cancel"),
        done=_("%(count)d campaign(s) cancelled."),
        perform=_cancel,
        reason_label=_("Why is it cancelled?"),
    ),
    transition_action(
        CAMPAIGN_MACHINE,
        "close",
        label=_("Close the review with conclusions"),
        done=_("%(count)d review(s) closed."),
        perform=_close,
        reason_label=_("The owner's conclusions"),
    ),
)


class AwaitingMyApprovalFilter(admin.SimpleListFilter):
    title = _("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [("mine", _("awaiting my approval"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return (
                queryset.filter(status=Campaign.Status.SUBMITTED)
                .exclude(submitted_by=request.user)
                .exclude(created_by=request.user)
            )
        return queryset


class HistoryInline(ReadOnlyInline):
    model = CampaignStatusChange
    fields = ("at", "transition", "from_state", "to_state", "actor", "reason")
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


PLAN_FIELDS = CampaignForm.Meta.fields
SHOWN_FIELDS = (
    *PLAN_FIELDS,
    "status",
    "spent",
    "conclusions",
    "created_by",
    "submitted_by",
    "approved_by",
    "warned_at",
    "pages",
)


@admin.register(Campaign)
class CampaignAdmin(ServiceActionsMixin, admin.ModelAdmin):
    form = CampaignForm
    service_actions = CAMPAIGN_ACTIONS
    actions = [make_admin_action(spec) for spec in CAMPAIGN_ACTIONS]
    list_display = (
        "name",
        "status",
        "owner",
        "starts_at",
        "ends_at",
        "budget_shown",
        "spent_shown",
        "pages",
    )
    list_filter = (AwaitingMyApprovalFilter, "status", "audience")
    list_select_related = ("owner",)
    search_fields = ("name", "theme")
    date_hierarchy = "starts_at"
    inlines = [HistoryInline]

    def get_fields(self, request, obj=None):
        if obj is None or obj.status in EDITABLE:
            return PLAN_FIELDS
        return SHOWN_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.status in EDITABLE:
            return ()
        return SHOWN_FIELDS

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status not in EDITABLE:
            return False
        return super().has_change_permission(request, obj)

    def has_approve_permission(self, request, obj=None):
        return request.user.has_perm("marketing.approve_campaign")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service (the form has checked the plan with the same rules)."""
        saved = campaigns.save_campaign(
            actor=request.user, data=form.cleaned_data, campaign=obj if change else None
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    # --- The live page and the review ------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/live/", wrap(self.live_view), name="marketing_campaign_live"),
            path("<int:pk>/live.json", wrap(self.live_json), name="marketing_campaign_live_json"),
            path("<int:pk>/review/", wrap(self.review_view), name="marketing_campaign_review"),
            path("plan/", wrap(self.plan_view), name="marketing_campaign_plan"),
            *super().get_urls(),
        ]

    def _campaign(self, request, pk):
        if not request.user.has_perm("marketing.watch_campaign"):
            raise PermissionDenied
        return get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)

    def live_view(self, request, pk):
        campaign = self._campaign(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Live: %(campaign)s") % {"campaign": campaign},
            "opts": self.opts,
            "campaign": campaign,
            "figures": live_figures(campaign),
            "poll_seconds": POLL_SECONDS,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/marketing/campaign/live.html", context)

    def live_json(self, request, pk):
        campaign = self._campaign(request, pk)
        return JsonResponse(live_figures(campaign))

    def review_view(self, request, pk):
        campaign = self._campaign(request, pk)
        form = ConclusionsForm(request.POST or None, initial={"conclusions": campaign.conclusions})
        if request.method == "POST" and form.is_valid():
            try:
                campaigns.close_review(
                    campaign=campaign,
                    actor=request.user,
                    conclusions=form.cleaned_data["conclusions"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _("The review is closed."), messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review: %(campaign)s") % {"campaign": campaign},
            "opts": self.opts,
            "campaign": campaign,
            "figures": review_figures(campaign),
            "form": form,
            "can_close": campaign.status == Campaign.Status.ENDED,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/marketing/campaign/review.html", context)

    def plan_view(self, request):
        """The annual plan: the year's campaigns on a month grid, budgets per month and
        quarter, planned against spent."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            year = int(request.GET.get("year") or timezone.localdate().year)
        except ValueError:
            year = timezone.localdate().year
        year = min(max(year, 2000), 2100)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Annual marketing plan %(year)s") % {"year": year},
            "opts": self.opts,
            "plan": annual_plan(year),
            "previous_year": year - 1,
            "next_year": year + 1,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/marketing/campaign/plan.html", context)

    @admin.display(description=_("budget"), ordering="budget")
    def budget_shown(self, campaign):
        return format_money(campaign.budget)

    @admin.display(description=_("spent"), ordering="spent")
    def spent_shown(self, campaign):
        share = (campaign.spent / campaign.budget * 100) if campaign.budget else 0
        return f"{format_money(campaign.spent)} ({share:.0f}%)"

    @admin.display(description=_("pages"))
    def pages(self, campaign):
        if campaign.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:marketing_campaign_live", args=[campaign.pk]),
            _("live page"),
            reverse("admin:marketing_campaign_review", args=[campaign.pk]),
            _("campaign review"),
            reverse("admin:marketing_campaignspend_changelist")
            + f"?campaign__id__exact={campaign.pk}",
            _("budget ledger"),
        )


@admin.register(CampaignSpend)
class CampaignSpendAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "campaign", "kind", "amount", "order", "source", "actor")
    list_filter = ("kind", "campaign")
    list_select_related = ("campaign", "order", "actor")
    date_hierarchy = "at"
