"""Promotions in the admin: an operator chooses a type, fills in a form made for it (tiers
as rows, goods by search, no JSON) and submits; the list shows each promotion's orders,
discount given and GMV (SQL aggregates) and offers the steps the machine allows (approve
as the second operator, send back, withdraw, call off, end now). A submitted promotion is
read-only with its history; the promotion calendar shows every promotion of a month by
day, with who submitted and who approved it."""

import calendar
import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.admin import approval
from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.readonly import ReadOnlyInline

from ..exceptions import PromotionInvalid
from ..forms.promotions import (
    KIND_HELP,
    TIER_COLUMNS,
    PromotionForm,
    promotion_initial,
    tier_formset,
)
from ..models import PROMOTION_MACHINE, Promotion, PromotionStatusChange, PromotionTier
from ..selectors.figures import with_promotion_figures
from ..services import promotions
from ..services.pricing import catalogue, labels

Kind = Promotion.Kind


def _submit(promotion, actor, _reason):
    return promotions.submit_promotion(promotion=promotion, actor=actor)


def _approve(promotion, actor, reason):
    return promotions.approve_promotion(promotion=promotion, actor=actor, reason=reason)


def _reject(promotion, actor, reason):
    return promotions.reject_promotion(promotion=promotion, actor=actor, reason=reason)


def _withdraw(promotion, actor, reason):
    return promotions.withdraw_promotion(promotion=promotion, actor=actor, reason=reason)


def _call_off(promotion, actor, reason):
    return promotions.call_off_promotion(promotion=promotion, actor=actor, reason=reason)


def _end(promotion, actor, reason):
    return promotions.end_promotion(promotion=promotion, actor=actor, reason=reason)


PROMOTION_ACTIONS = (
    transition_action(
        PROMOTION_MACHINE,
        "submit",
        label=_("Submit (a deep one waits for a second operator)"),
        done=_("%(count)d promotion(s) submitted."),
        perform=_submit,
    ),
    transition_action(
        PROMOTION_MACHINE,
        "approve",
        label=_("Approve (as the second operator)"),
        done=_("%(count)d promotion(s) approved."),
        perform=_approve,
        permission="approve",
    ),
    transition_action(
        PROMOTION_MACHINE,
        "reject",
        label=_("Send back to its draft"),
        done=_("%(count)d promotion(s) sent back."),
        perform=_reject,
        reason_label=_("Why is it sent back?"),
        permission="approve",
    ),
    transition_action(
        PROMOTION_MACHINE,
        "withdraw",
        label=_("Withdraw to its draft (before it starts)"),
        done=_("%(count)d promotion(s) withdrawn."),
        perform=_withdraw,
        reason_label=_("Why is it withdrawn?"),
        reason_required=False,
    ),
    transition_action(
        PROMOTION_MACHINE,
        "call_off",
        label=_("Call off (before it starts)"),
        done=_("%(count)d promotion(s) called off."),
        perform=_call_off,
        reason_label=_("Why is it called off?"),
    ),
    transition_action(
        PROMOTION_MACHINE,
        "end",
        label=_("End now"),
        done=_("%(count)d promotion(s) ended."),
        perform=_end,
        reason_label=_("Why does it end early?"),
    ),
)


class AwaitingMyApprovalFilter(approval.AwaitingMyApprovalFilter):
    pending_state = Promotion.Status.PENDING
    asked_by_field = "submitted_by"


class TierInline(ReadOnlyInline):
    model = PromotionTier
    fields = ("threshold", "amount_off", "percent_off", "gift_sku", "gift_quantity")


class HistoryInline(ReadOnlyInline):
    model = PromotionStatusChange
    fields = ("at", "transition", "from_state", "to_state", "actor", "reason")
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Promotion)
class PromotionAdmin(ServiceActionsMixin, admin.ModelAdmin):
    service_actions = PROMOTION_ACTIONS
    actions = [make_admin_action(spec) for spec in PROMOTION_ACTIONS]
    list_display = (
        "name",
        "kind",
        "rule",
        "status",
        "priority",
        "exclusive",
        "starts_at",
        "ends_at",
        "depth_shown",
        "sold_orders_shown",
        "discount_given_shown",
        "gmv_shown",
    )
    list_filter = (AwaitingMyApprovalFilter, "status", "kind", "exclusive")
    search_fields = ("name",)
    date_hierarchy = "starts_at"
    inlines = [TierInline, HistoryInline]
    fields = (
        "name",
        "kind",
        "rule",
        "status",
        "priority",
        "exclusive",
        "basis",
        "repeatable",
        "cap",
        "percent_off",
        "fixed_price",
        "buy_quantity",
        "free_quantity",
        "nth",
        "starts_at",
        "ends_at",
        "scope",
        "depth",
        "created_by",
        "submitted_by",
        "approved_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("tiers")
        return with_promotion_figures(queryset)

    def has_approve_permission(self, request, obj=None):
        return request.user.has_perm("marketing.approve_promotion")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rule"))
    def rule(self, promotion):
        return labels.rule_label(catalogue.promotion_rule(promotion, {}, scope=False))

    @admin.display(description=_("goods"))
    def scope(self, promotion):
        parts = []
        for name in ("products", "categories", "suppliers"):
            chosen = ", ".join(str(o) for o in getattr(promotion, name).all()[:10])
            if chosen:
                parts.append(f"{Promotion._meta.get_field(name).verbose_name}: {chosen}")
        if promotion.brands:
            parts.append(f"{_('brands')}: {', '.join(promotion.brands)}")
        for name in ("excluded_products", "excluded_categories", "excluded_suppliers"):
            chosen = ", ".join(str(o) for o in getattr(promotion, name).all()[:10])
            if chosen:
                parts.append(f"{Promotion._meta.get_field(name).verbose_name}: {chosen}")
        return "; ".join(parts) or _("every item")

    @admin.display(description=_("depth"), ordering="depth")
    def depth_shown(self, promotion):
        return "—" if promotion.depth is None else f"{promotion.depth * 100:.1f}%"

    @admin.display(description=_("orders"), ordering="sold_orders")
    def sold_orders_shown(self, promotion):
        return promotion.sold_orders

    @admin.display(description=_("discount given"), ordering="discount_given")
    def discount_given_shown(self, promotion):
        return promotion.discount_given

    @admin.display(description=_("GMV"), ordering="gmv")
    def gmv_shown(self, promotion):
        return promotion.gmv

    # --- Writing a promotion: a form per type -------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        kind = request.GET.get("kind") or request.POST.get("kind")
        if kind not in Kind.values:
            context = {
                **self.admin_site.each_context(request),
                "title": _("Which kind of promotion?"),
                "opts": self.opts,
                "kinds": [(value, label, KIND_HELP[value]) for value, label in Kind.choices],
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, "admin/marketing/promotion/choose_kind.html", context)
        return self._form_view(request, kind=kind, promotion=None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        promotion = get_object_or_404(Promotion, pk=object_id)
        if promotion.status == Promotion.Status.DRAFT and self.has_add_permission(request):
            return self._form_view(request, kind=promotion.kind, promotion=promotion)
        return super().change_view(request, object_id, form_url, extra_context)

    def _form_view(self, request, *, kind, promotion):
        initial, tier_rows = promotion_initial(promotion) if promotion else ({}, [])
        posted = request.method == "POST"
        form = PromotionForm(
            request.POST if posted else None,
            initial=initial or {"starts_at": timezone.now()},
            kind=kind,
            admin_site=self.admin_site,
        )
        tiers = tier_formset(
            kind,
            data=request.POST if posted else None,
            initial=tier_rows,
            admin_site=self.admin_site,
        )
        if posted and form.is_valid() and (tiers is None or tiers.is_valid()):
            saved = self._save(request, form, tiers, kind, promotion)
            if saved is not None:
                return HttpResponseRedirect(
                    reverse("admin:marketing_promotion_change", args=[saved.pk])
                    if saved.status == Promotion.Status.DRAFT
                    else reverse("admin:marketing_promotion_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("A promotion: %(kind)s") % {"kind": Kind(kind).label},
            "opts": self.opts,
            "form": form,
            "tiers": tiers,
            "tier_columns": TIER_COLUMNS.get(kind, ((), 0))[0],
            "kind": kind,
            "kind_help": KIND_HELP[kind],
            "promotion": promotion,
            "media": self.media + form.media + (tiers.media if tiers else forms.Media()),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/marketing/promotion/form.html", context)

    def _save(self, request, form, tiers, kind, promotion):
        data = {**form.cleaned_data, "kind": kind}
        try:
            saved = promotions.save_promotion(
                data=data,
                tiers=tiers.rows if tiers is not None else [],
                actor=request.user,
                promotion=promotion,
            )
            if "_submit" in request.POST:
                promotions.submit_promotion(promotion=saved, actor=request.user)
        except PromotionInvalid as error:
            for problem in error.problems:
                form.add_error(None, problem)
            return None
        saved.refresh_from_db()
        if saved.status == Promotion.Status.PENDING:
            message = _(
                "“%(name)s” takes up to %(depth)s off: it waits for a second operator's approval."
            ) % {"name": saved.name, "depth": f"{saved.depth * 100:.0f}%"}
        elif saved.status == Promotion.Status.SCHEDULED:
            message = _("“%(name)s” is scheduled.") % {"name": saved.name}
        else:
            message = _("The draft “%(name)s” is saved.") % {"name": saved.name}
        self.message_user(request, message, messages.SUCCESS)
        return saved


# --- The promotion calendar ------------------------------------------------------------------


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


def calendar_view(request):
    """Every promotion that runs in a month, whatever its state (a called-off or ended one
    too), by day, with who submitted and who approved it and a link to its history."""
    if not request.user.has_perm("marketing.view_promotion"):
        raise PermissionDenied
    form = MonthForm(request.GET or None)
    today = timezone.localdate()
    month = (form.cleaned_data.get("month") if form.is_valid() else None) or today
    first = month.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=days)
    shown = (
        Promotion.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .exclude(Q(status=Promotion.Status.DRAFT))
        .select_related("submitted_by", "approved_by")
        .order_by("starts_at", "pk")
    )
    rows = []
    for promotion in shown:
        cells = []
        for day in range(days):
            day_start = start + datetime.timedelta(days=day)
            day_end = day_start + datetime.timedelta(days=1)
            cells.append(promotion.starts_at < day_end and promotion.ends_at > day_start)
        rows.append({"promotion": promotion, "cells": cells})
    previous = (first - datetime.timedelta(days=1)).strftime("%Y-%m")
    following = (first + datetime.timedelta(days=days)).strftime("%Y-%m")
    context = {
        **admin.site.each_context(request),
        "title": _("Promotion calendar %(month)s") % {"month": first.strftime("%Y-%m")},
        "form": form,
        "days": list(range(1, days + 1)),
        "today": today.day if (today.year, today.month) == (first.year, first.month) else None,
        "rows": rows,
        "previous": previous,
        "following": following,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/marketing/promotion/calendar.html", context)


admin.site.register_page(
    route="marketing/promotion-calendar/",
    view=calendar_view,
    name="marketing_promotion_calendar",
    label=_("Promotion calendar"),
    section=_("Promotions"),
    permission="marketing.view_promotion",
)
